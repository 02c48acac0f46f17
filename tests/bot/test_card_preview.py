"""Issue 25: a card shows the exact text Approve sends, how it goes and until when, and what went.

The preview is the default template rendered for the person by the composer's own rules; the text
that reaches the Instagram emulator is that preview, character for character.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import ChatMessage, DirectMessage, DmTemplate, Role
from core.services.outreach import composer
from tests.bot.helpers import telegram_update, tg_callback, tg_message
from tests.bot.scenario import (
    CHAT_ID,
    TG_USER,
    block_action,
    card_refs,
    chat_config,
    posted_hot_shop,
)

PREVIEW = "Hi @ana, here is the price list!"


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


@pytest.fixture
def shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator):
    return posted_hot_shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator)


def test_the_card_shows_the_text_the_route_and_the_quota(app, client, shop, telegram_emulator, slack_emulator):
    [card] = [p for p in telegram_emulator.params("sendMessage") if "@ana" in p["text"]]
    # A new hot target gets a draft from the default template: the card shows its text.
    assert f"Drafted DM: “{PREVIEW}”" in card["text"]
    assert "As a private reply to “how much is it? I want to buy”, possible until" in card["text"]
    assert "50 DMs left today on this account" in card["text"]
    [slack_card] = [p for p in slack_emulator.posts() if p.get("channel") == "C0ALERTS"]
    assert f"Drafted DM: “{PREVIEW}”" in slack_card["blocks"][0]["text"]["text"]

    # Without a draft, the card previews what Approve would send: the default template, rendered.
    message_id = int(card_refs(app, shop.target_id)["telegram"])
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, message_id, f"sk:{shop.target_id}")).status_code == 200
    edited = telegram_emulator.params("editMessageText")[-1]["text"]
    assert f"Approve sends: “{PREVIEW}”" in edited and "Drafted DM" not in edited


def test_what_is_previewed_is_what_is_sent_and_the_card_then_shows_it(
    app, client, shop, telegram_emulator, instagram_emulator
):
    message_id = int(card_refs(app, shop.target_id)["telegram"])
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, message_id, f"sk:{shop.target_id}")).status_code == 200
    assert f"Approve sends: “{PREVIEW}”" in telegram_emulator.params("editMessageText")[-1]["text"]
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, message_id, f"ap:{shop.target_id}")).status_code == 200
    assert [m["text"] for m in instagram_emulator.sent_messages] == [PREVIEW]
    edited = telegram_emulator.params("editMessageText")[-1]["text"]
    assert f"Sent text: “{PREVIEW}”" in edited and "Approve sends" not in edited
    assert "possible until" not in edited  # nothing left to send: no route, no buttons
    buttons = [
        b["callback_data"]
        for row in telegram_emulator.params("editMessageText")[-1]["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    assert f"ap:{shop.target_id}" not in buttons


def test_the_slack_edit_modal_starts_from_the_previewed_text(app, slack, shop, slack_emulator):
    ts = card_refs(app, shop.target_id)["slack"]
    slack.action(block_action(shop.team.id, "C0ALERTS", ts, "vf_reply", str(shop.target_id)))
    [modal] = slack_emulator.views
    assert modal["blocks"][1]["element"]["initial_value"] == PREVIEW


def _second_template(app, shop, body: str = "Hello {{username}}, shall I send the catalogue?") -> int:
    with app.app_context():
        template = DmTemplate(workspace_id=shop.ws, name="Catalogue", body=body)
        db.session.add(template)
        db.session.commit()
        return template.id


def _keyboard(params: dict) -> list[str]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row]


def test_telegram_lists_each_template_rendered_and_sends_the_one_chosen_once(
    app, client, shop, telegram_emulator, instagram_emulator
):
    catalogue = _second_template(app, shop)
    card_id = int(card_refs(app, shop.target_id)["telegram"])
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, card_id, f"tl:{shop.target_id}")).status_code == 200
    choices = [p for p in telegram_emulator.params("sendMessage") if p["text"].startswith("<b>Template")]
    texts = {c["text"].split("\n", 1)[1]: _keyboard(c) for c in choices}
    # Each template is shown as it would go to this person, each with its own Send, under the card.
    with app.app_context():
        assert len(choices) == db.session.query(DmTemplate).filter_by(workspace_id=shop.ws).count()
    assert texts["Hello @ana, shall I send the catalogue?"] == [f"tp:{shop.target_id}:{catalogue}"]
    assert texts[PREVIEW] == [f"tp:{shop.target_id}:{_template_id(app, 'Price')}"]
    assert all(int(c["reply_parameters"]["message_id"]) == card_id for c in choices)
    assert "Read them below" in telegram_emulator.params("answerCallbackQuery")[-1]["text"]
    assert instagram_emulator.sent_messages == []  # listing sends nothing

    refs = _choice_refs(app, shop.target_id)
    tap = tg_callback(CHAT_ID, TG_USER, refs[catalogue], f"tp:{shop.target_id}:{catalogue}")
    assert telegram_update(client, tap).status_code == 200
    assert telegram_update(client, tap | {"update_id": tap["update_id"] + 1}).status_code == 200  # a double tap
    price = _template_id(app, "Price")
    other = tg_callback(CHAT_ID, TG_USER, refs[price], f"tp:{shop.target_id}:{price}")
    assert telegram_update(client, other).status_code == 200  # the other choice, now stale
    assert [m["text"] for m in instagram_emulator.sent_messages] == ["Hello @ana, shall I send the catalogue?"]
    assert "Already handled" in telegram_emulator.params("answerCallbackQuery")[-1]["text"]
    # The card shows what went; the choices drop their Send buttons.
    card_edits = [p for p in telegram_emulator.params("editMessageText") if int(p["message_id"]) == card_id]
    assert "Sent text: “Hello @ana, shall I send the catalogue?”" in card_edits[-1]["text"]
    for ref in refs.values():
        edits = [p for p in telegram_emulator.params("editMessageText") if int(p["message_id"]) == ref]
        assert edits and _keyboard(edits[-1]) == []


def test_the_slack_template_select_previews_on_the_card_and_approve_sends_that_text(
    app, slack, shop, slack_emulator, instagram_emulator
):
    catalogue = _second_template(app, shop)
    ts = card_refs(app, shop.target_id)["slack"]
    pick = block_action(shop.team.id, "C0ALERTS", ts, "vf_pick", "")
    pick["actions"][0] = {
        "type": "static_select",
        "action_id": "vf_pick",
        "block_id": f"vf_card_{shop.target_id}",
        "selected_option": {"value": f"{shop.target_id}:{catalogue}", "text": {"type": "plain_text", "text": "x"}},
        "action_ts": pick["actions"][0]["action_ts"],
    }
    assert slack.action(pick).status_code == 200
    assert instagram_emulator.sent_messages == []  # picking only shows
    update = slack_emulator.updates()[-1]
    assert update["ts"] == ts
    shown = update["blocks"][0]["text"]["text"]
    assert "Template “Catalogue” sends: “Hello @ana, shall I send the catalogue?”" in shown
    elements = [e for b in update["blocks"] if b["type"] == "actions" for e in b["elements"]]
    [approve] = [e for e in elements if e.get("style") == "primary"]
    assert (approve["action_id"], approve["value"]) == ("vf_template", f"{shop.target_id}:{catalogue}")
    [select] = [e for e in elements if e["action_id"] == "vf_pick"]
    assert select["initial_option"]["value"] == f"{shop.target_id}:{catalogue}"

    assert slack.action(block_action(shop.team.id, "C0ALERTS", ts, "vf_template", approve["value"])).status_code == 200
    assert [m["text"] for m in instagram_emulator.sent_messages] == ["Hello @ana, shall I send the catalogue?"]


def test_a_template_that_cannot_render_is_shown_with_the_reason_and_no_send_button(
    app, client, shop, telegram_emulator, instagram_emulator
):
    _second_template(app, shop, body="Hi {{username}} " + "x" * 1100)
    card_id = int(card_refs(app, shop.target_id)["telegram"])
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, card_id, f"tl:{shop.target_id}")).status_code == 200
    [broken] = [p for p in telegram_emulator.params("sendMessage") if p["text"].startswith("Template “Catalogue”")]
    assert "Instagram allows 1,000" in broken["text"] and _keyboard(broken) == []


def test_telegram_edit_asks_for_the_text_by_forced_reply_and_drafts_the_answer(
    app, client, shop, telegram_emulator, instagram_emulator
):
    card_id = int(card_refs(app, shop.target_id)["telegram"])
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, card_id, f"ed:{shop.target_id}")).status_code == 200
    prompt = telegram_emulator.params("sendMessage")[-1]
    assert prompt["reply_markup"]["force_reply"] is True
    assert f"Now: “{PREVIEW}”" in prompt["text"]  # the text to change, not to retype
    prompt_id = int(telegram_emulator.sent_ids()[-1])

    too_long = tg_message(CHAT_ID, TG_USER, "y" * 1200)
    too_long["message"]["reply_to_message"] = {"message_id": prompt_id, "chat": {"id": CHAT_ID}, "text": "prompt"}
    assert telegram_update(client, too_long).status_code == 200
    assert "Instagram allows 1,000" in telegram_emulator.params("sendMessage")[-1]["text"]

    edited = tg_message(CHAT_ID, TG_USER, "Hi Ana, the price list is attached")
    edited["message"]["reply_to_message"] = {"message_id": prompt_id, "chat": {"id": CHAT_ID}, "text": "prompt"}
    assert telegram_update(client, edited).status_code == 200
    shown = telegram_emulator.params("sendMessage")[-1]
    assert "Drafted DM: “Hi Ana, the price list is attached”" in shown["text"]
    assert f"ap:{shop.target_id}" in _keyboard(shown) and f"sk:{shop.target_id}" in _keyboard(shown)
    new_card = int(telegram_emulator.sent_ids()[-1])
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, new_card, f"ap:{shop.target_id}")).status_code == 200
    assert [m["text"] for m in instagram_emulator.sent_messages] == ["Hi Ana, the price list is attached"]


def test_a_stale_card_after_a_console_send_sends_nothing_more(app, client, shop, telegram_emulator, instagram_emulator):
    with app.app_context():
        draft = db.session.scalar(select(DirectMessage.id).where(DirectMessage.target_id == shop.target_id))
    assert shop.owner.post(f"/dm/{draft}/approve", json={}).status_code in (200, 202)
    assert [m["text"] for m in instagram_emulator.sent_messages] == [PREVIEW]
    card_id = int(card_refs(app, shop.target_id)["telegram"])
    for data in (f"ap:{shop.target_id}", f"tp:{shop.target_id}:{_template_id(app, 'Price')}"):
        assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, card_id, data)).status_code == 200
        assert "Already handled" in telegram_emulator.params("answerCallbackQuery")[-1]["text"]
    assert len(instagram_emulator.sent_messages) == 1


def test_only_a_role_that_may_approve_can_approve_from_chat(
    app, slack, shop, factory, slack_emulator, instagram_emulator, monkeypatch
):
    member = factory.member(shop.owner, shop.ws)
    slack_emulator.add_user("U0MEMBER", member.email)
    ts = card_refs(app, shop.target_id)["slack"]
    monkeypatch.setattr(composer, "APPROVE_ROLE", Role.ADMIN)  # a workspace where approving needs an admin
    tap = block_action(shop.team.id, "C0ALERTS", ts, "vf_approve", str(shop.target_id), user="U0MEMBER")
    assert slack.action(tap).status_code == 200
    assert instagram_emulator.sent_messages == []
    told = slack_emulator.ephemerals()[-1]
    assert told["user"] == "U0MEMBER" and "may not approve DMs" in told["text"]

    monkeypatch.setattr(composer, "APPROVE_ROLE", Role.MEMBER)
    again = block_action(shop.team.id, "C0ALERTS", ts, "vf_approve", str(shop.target_id), user="U0MEMBER")
    assert slack.action(again).status_code == 200
    assert [m["text"] for m in instagram_emulator.sent_messages] == [PREVIEW]


def _template_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(DmTemplate.id).where(DmTemplate.name == name))


def _choice_refs(app, target_id: int) -> dict[int, int]:
    with app.app_context():
        rows = db.session.scalars(
            select(ChatMessage).where(ChatMessage.target_id == target_id, ChatMessage.kind == "choice")
        ).all()
        return {row.data["template_id"]: int(row.message_ref) for row in rows}


def test_a_template_edited_after_it_was_shown_is_not_sent_unread(
    app, client, shop, telegram_emulator, instagram_emulator
):
    catalogue = _second_template(app, shop)
    card_id = int(card_refs(app, shop.target_id)["telegram"])
    assert telegram_update(client, tg_callback(CHAT_ID, TG_USER, card_id, f"tl:{shop.target_id}")).status_code == 200
    with app.app_context():
        db.session.get(DmTemplate, catalogue).body = "Hello {{username}}, 50% off today!"
        db.session.commit()
    ref = _choice_refs(app, shop.target_id)[catalogue]
    assert (
        telegram_update(client, tg_callback(CHAT_ID, TG_USER, ref, f"tp:{shop.target_id}:{catalogue}")).status_code
        == 200
    )
    assert instagram_emulator.sent_messages == []
    assert "now reads differently" in telegram_emulator.params("answerCallbackQuery")[-1]["text"]
    # A button carried over to another person's choice message is refused, not run on the wrong one.
    forged = tg_callback(CHAT_ID, TG_USER, ref, f"tp:{shop.target_id + 999}:{catalogue}")
    assert telegram_update(client, forged).status_code == 200
    assert instagram_emulator.sent_messages == []
