"""Issues 20 and 25: writing to a person from Telegram, seen and confirmed before it goes.

A teammate replies to the bot's card about a person with the words to send: VistaFlow drafts that DM
by the sending rules and posts a new card showing it, with Approve; the tap sends it once (a second
tap, or a tap on the old card, sends nothing more). A reply to a message about nobody, or after the
person opted out, is refused with the reason and nothing is sent.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import ChatMessage, DirectMessage, Target
from tests.bot.helpers import telegram_update, tg_callback, tg_message
from tests.bot.scenario import (
    CHAT_ID,
    SLACK_USER,
    TG_USER,
    block_action,
    card_refs,
    chat_config,
    posted_hot_shop,
)
from worker.jobs.chat import dispatch_alerts


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


@pytest.fixture
def shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator):
    return posted_hot_shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator)


def _telegram_cards(app, target_id: int) -> list[int]:
    with app.app_context():
        rows = db.session.scalars(
            select(ChatMessage.message_ref)
            .where(ChatMessage.target_id == target_id, ChatMessage.provider == "telegram", ChatMessage.kind == "hot")
            .order_by(ChatMessage.id)
        )
        return [int(ref) for ref in rows if ref]


def _reply(text: str, to_message_id: int) -> dict:
    update = tg_message(CHAT_ID, TG_USER, text)
    update["message"]["reply_to_message"] = {"message_id": to_message_id, "chat": {"id": CHAT_ID}, "text": "card"}
    return update


def test_a_reply_to_the_card_drafts_that_message_and_one_tap_sends_it_once(
    app, client, shop, telegram_emulator, instagram_emulator
):
    [first_card] = _telegram_cards(app, shop.target_id)
    words = "Bonjour Ana ! Le coffret est à 39 €, je vous envoie le lien ?"
    assert telegram_update(client, _reply(words, first_card)).status_code == 200
    assert instagram_emulator.sent_messages == []  # nothing goes before the confirmation

    cards = _telegram_cards(app, shop.target_id)
    assert len(cards) == 2 and cards[0] == first_card
    new_card = telegram_emulator.params("sendMessage")[-1]
    assert "Drafted DM: “Bonjour Ana ! Le coffret est à 39 €, je vous envoie le lien ?”" in new_card["text"]
    buttons = [b["callback_data"] for row in new_card["reply_markup"]["inline_keyboard"] for b in row]
    assert f"ap:{shop.target_id}" in buttons
    with app.app_context():
        drafts = db.session.scalars(select(DirectMessage).where(DirectMessage.target_id == shop.target_id)).all()
        assert [(d.status, d.text) for d in drafts if d.status == "draft"] == [("draft", words)]

    tap = tg_callback(CHAT_ID, TG_USER, cards[1], f"ap:{shop.target_id}")
    assert telegram_update(client, tap).status_code == 200
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, cards[1], f"ap:{shop.target_id}")).status_code == 200
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, cards[0], f"ap:{shop.target_id}")).status_code == 200
    assert [m["text"] for m in instagram_emulator.sent_messages] == [words]
    with app.app_context():
        sent = db.session.scalar(select(DirectMessage).where(DirectMessage.status == "sent"))
        assert sent.text == words and sent.approved_via == "telegram"


def test_a_second_reply_replaces_the_draft(app, client, shop, telegram_emulator):
    [card] = _telegram_cards(app, shop.target_id)
    telegram_update(client, _reply("First try", card))
    telegram_update(client, _reply("Better words", card))
    with app.app_context():
        statuses = {
            d.text: d.status
            for d in db.session.scalars(select(DirectMessage).where(DirectMessage.target_id == shop.target_id))
        }
        assert statuses["First try"] == "skipped" and statuses["Better words"] == "draft"


def test_a_reply_about_nobody_or_to_someone_who_opted_out_is_refused(
    app, client, shop, telegram_emulator, instagram_emulator
):
    linked = telegram_emulator.params("sendMessage")[0]  # the bot's "Linked to ..." is about nobody
    assert "Linked to" in linked["text"]
    assert telegram_update(client, _reply("Hello?", 1)).status_code == 200
    assert "Reply to a message about a person" in telegram_emulator.params("sendMessage")[-1]["text"]

    with app.app_context():
        from core.db import utcnow

        db.session.get(Target, shop.target_id).opted_out_at = utcnow()
        db.session.commit()
    [card] = _telegram_cards(app, shop.target_id)
    before = len(_telegram_cards(app, shop.target_id))
    assert telegram_update(client, _reply("Still there?", card)).status_code == 200
    answer = telegram_emulator.params("sendMessage")[-1]["text"]
    assert "asked not to be contacted" in answer, answer
    assert len(_telegram_cards(app, shop.target_id)) == before and instagram_emulator.sent_messages == []


def _submitted(team_id: str, view: dict, text: str) -> dict:
    """The view_submission Slack sends when the modal's "Draft it" is pressed."""
    return {
        "type": "view_submission",
        "team": {"id": team_id},
        "user": {"id": SLACK_USER},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": "trig-submit",
        "view": {
            **view,
            "state": {"values": {"vf_reply_text": {"text": {"type": "plain_text_input", "value": text}}}},
        },
    }


def test_slack_write_opens_a_modal_and_the_draft_is_approved_on_a_new_card(
    app, slack, shop, slack_emulator, instagram_emulator
):
    [card] = [p for p in slack_emulator.posts() if p.get("channel") == "C0ALERTS"]
    ts = card_refs(app, shop.target_id)["slack"]
    assert "vf_reply" in [e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]

    assert slack.action(block_action(shop.team.id, "C0ALERTS", ts, "vf_reply", str(shop.target_id))).status_code == 200
    [modal] = slack_emulator.views  # opened within the click's request: the trigger lasts 3 seconds
    assert modal["title"]["text"] == "Write to @ana" and modal["callback_id"] == "vf_reply_modal"
    assert "how much is it" in modal["blocks"][0]["text"]["text"]  # the person's comment, to answer it
    assert instagram_emulator.sent_messages == []

    words = "Hi Ana, the box is 39 €: shall I send you the link?"
    assert slack.action(_submitted(shop.team.id, modal, words)).status_code == 200
    assert slack.action(_submitted(shop.team.id, modal, words)).status_code == 200  # Slack's retry: one draft
    new_cards = [p for p in slack_emulator.posts() if p.get("channel") == "C0ALERTS"][1:]
    assert len(new_cards) == 1
    assert (
        "Drafted DM: “Hi Ana, the box is 39 €: shall I send you the link?”" in new_cards[0]["blocks"][0]["text"]["text"]
    )
    assert instagram_emulator.sent_messages == []

    with app.app_context():
        refs = db.session.scalars(
            select(ChatMessage.message_ref)
            .where(ChatMessage.target_id == shop.target_id, ChatMessage.provider == "slack")
            .order_by(ChatMessage.id)
        ).all()
    approve = block_action(shop.team.id, "C0ALERTS", refs[-1], "vf_approve", str(shop.target_id))
    assert slack.action(approve).status_code == 200
    assert [m["text"] for m in instagram_emulator.sent_messages] == [words]


def test_slack_refusals_reach_the_writer_privately(app, slack, shop, slack_emulator, instagram_emulator):
    ts = card_refs(app, shop.target_id)["slack"]
    expired = block_action(shop.team.id, "C0ALERTS", ts, "vf_reply", str(shop.target_id))
    expired["trigger_id"] = "expired-trigger"
    slack.action(expired)
    assert slack_emulator.views == [] and "could not open" in slack_emulator.ephemerals()[-1]["text"]

    slack.action(block_action(shop.team.id, "C0ALERTS", ts, "vf_reply", str(shop.target_id)))
    with app.app_context():
        from core.db import utcnow

        db.session.get(Target, shop.target_id).opted_out_at = utcnow()
        db.session.commit()
    slack.action(_submitted(shop.team.id, slack_emulator.views[0], "Still there?"))
    assert "asked not to be contacted" in slack_emulator.ephemerals()[-1]["text"]
    assert instagram_emulator.sent_messages == []


def _conversation(app, target_id: int):
    with app.app_context():
        from core.models import Conversation

        row = db.session.scalar(select(Conversation).where(Conversation.target_id == target_id))
        return (row.state, row.assignee_user_id) if row else None


def test_assign_and_done_from_telegram_and_slack(app, client, slack, shop, telegram_emulator, slack_emulator):
    with app.app_context():
        from core.db import utcnow
        from core.services.chat.posting import refresh_target
        from core.services.conversations import threads

        target = db.session.get(Target, shop.target_id)
        threads.ensure(shop.ws, target.social_account_id, target.id, at=utcnow())  # as ingest does for a comment
        db.session.commit()
        refresh_target(target.id)
    assert _conversation(app, shop.target_id)[1] is None  # nobody's yet
    [card] = _telegram_cards(app, shop.target_id)
    last_card = telegram_emulator.params("editMessageText")[-1]  # the card, refreshed
    buttons = [b["callback_data"] for row in last_card["reply_markup"]["inline_keyboard"] for b in row]
    assert f"as:{shop.target_id}" in buttons and f"dn:{shop.target_id}" in buttons

    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, card, f"as:{shop.target_id}")).status_code == 200
    assert _conversation(app, shop.target_id)[1] == shop.owner.user["id"]
    edited = telegram_emulator.params("editMessageText")[-1]["text"]
    assert "Conversation assigned to @Olive" in edited

    ts = card_refs(app, shop.target_id)["slack"]
    assert slack.action(block_action(shop.team.id, "C0ALERTS", ts, "vf_done", str(shop.target_id))).status_code == 200
    assert _conversation(app, shop.target_id)[0] == "done"
    assert "Conversation done" in telegram_emulator.params("editMessageText")[-1]["text"]
    slack_card = slack_emulator.updates()[-1]
    ids = [e["action_id"] for b in slack_card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "vf_done" not in ids  # nothing left to close


def test_an_answer_reaches_the_chat_with_its_words_and_is_answered_from_there(
    app, client, slack, shop, telegram_emulator, slack_emulator, instagram_emulator
):
    from core.db import utcnow
    from core.models import SocialAccount
    from core.services.collection.ingest import Incoming, store

    [card] = _telegram_cards(app, shop.target_id)
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, card, f"ap:{shop.target_id}")).status_code == 200
    assert len(instagram_emulator.sent_messages) == 1  # the private reply, from the template
    said = "Parfait, je veux commander le coffret"
    with app.app_context():
        target = db.session.get(Target, shop.target_id)
        account = db.session.get(SocialAccount, target.social_account_id)
        person_id = target.platform_user_id
        # The person writes on Instagram (the emulator opens the 24 h window) and the webhook brings it in.
        instagram_emulator.add_inbound_message(account.platform_user_id, target.platform_user_id, said)
        store(
            account,
            [
                Incoming(
                    platform_id="m-answer-1",
                    kind="message",
                    occurred_at=utcnow(),
                    author_platform_id=target.platform_user_id,
                    author_username=target.username,
                    text=said,
                )
            ],
            source="webhook",
        )
        db.session.commit()
        assert dispatch_alerts()["posted"] == 2  # the reply alert, in Slack and in Telegram

    alert = telegram_emulator.params("sendMessage")[-1]
    assert alert["reply_parameters"]["message_id"] == card  # threaded under the person's card
    assert "replied to your DM" in alert["text"] and "“Parfait, je veux commander le coffret”" in alert["text"]
    assert "Reply to this message to write back from here." in alert["text"]
    slack_alert = [p for p in slack_emulator.posts() if "replied to your DM" in p.get("text", "")][-1]
    assert slack_alert["thread_ts"] == card_refs(app, shop.target_id)["slack"]  # in the card's thread
    buttons = [e["action_id"] for b in slack_alert["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["vf_reply"]

    with app.app_context():
        alert_ref = db.session.scalar(
            select(ChatMessage.message_ref).where(ChatMessage.kind == "dm_replied", ChatMessage.provider == "telegram")
        )
    words = "Super ! Voici le lien de paiement."
    assert telegram_update(client, _reply(words, int(alert_ref))).status_code == 200
    new_card = telegram_emulator.params("sendMessage")[-1]
    assert f"Drafted DM: “{words}”" in new_card["text"]
    tap = tg_callback(CHAT_ID, TG_USER, _telegram_cards(app, shop.target_id)[-1], f"ap:{shop.target_id}")
    assert telegram_update(client, tap).status_code == 200
    assert [m["text"] for m in instagram_emulator.sent_messages][-1] == words
    assert instagram_emulator.sent_messages[-1]["recipient"] == {"id": person_id}  # in the 24 h window


def test_a_calibrated_workspace_s_card_says_how_likely_a_reply_is(app, shop, telegram_emulator, slack_emulator):
    from core.models import Workspace
    from core.services.chat.posting import refresh_target
    from core.services.workspaces.settings import merge

    [before] = [p for p in telegram_emulator.params("sendMessage") if "@ana" in p["text"]]
    assert "likely to reply" not in before["text"]  # not calibrated yet: no guess
    with app.app_context():
        workspace = db.session.get(Workspace, shop.ws)
        workspace.settings = merge(workspace.settings, {"calibration": {"reply_curve": [[0, 0.05], [100, 0.65]]}})
        db.session.commit()
        score = db.session.get(Target, shop.target_id).score
        refresh_target(shop.target_id)
    expected = round((0.05 + 0.6 * score / 100) * 10)
    assert f"likely to reply: {expected} in 10" in telegram_emulator.params("editMessageText")[-1]["text"]
    assert f"likely to reply: {expected} in 10" in slack_emulator.updates()[-1]["blocks"][0]["text"]["text"]
