"""Issue 17, the chat doors: findings 7 (Slack text fallbacks escaped), 13 (deep JSON at /slack/events),
14 (a bad Slack timestamp), 16 (ids beyond the integer range in commands and buttons, a Telegram update
without a chat). Each goes through the real door, the emulators answering as Slack and Telegram."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from core.db import db
from core.models import JobRun, Lead
from tests.bot.conftest import SlackSender
from tests.bot.helpers import telegram_update, tg_callback, tg_message
from tests.bot.scenario import (
    CHAT_ID,
    TG_USER,
    block_action,
    card_refs,
    chat_config,
    posted_hot_shop,
    slash,
)

HOSTILE_NAME = "<!channel> <https://evil.example|Re-login>"
BEYOND_INT4 = "99999999999"


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


@pytest.fixture
def shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator):
    return posted_hot_shop(
        app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator, username="<!channel>"
    )


def _failed_jobs(app) -> list[str]:
    with app.app_context():
        return [r.error or "" for r in db.session.scalars(select(JobRun).where(JobRun.status == "failed"))]


def test_finding_7_slack_text_fallbacks_are_escaped(app, client, console, slack, shop, slack_emulator):
    # The card's fallback text names the person: Slack would notify the whole channel for "<!channel>".
    [card] = [p for p in slack_emulator.posts() if p.get("channel") == "C0ALERTS" and "channel" in p["text"]]
    assert "<!channel>" not in card["text"] and "&lt;!channel&gt;" in card["text"]
    # A member whose name is a link: "DM sent by @<name>" reaches the card update and its text.
    with app.app_context():
        from core.models import User

        user = db.session.scalar(select(User).where(User.email == shop.owner.email))
        user.name = HOSTILE_NAME
        db.session.commit()
    ts = card_refs(app, shop.target_id)["slack"]
    assert (
        slack.action(block_action(shop.team.id, "C0ALERTS", ts, "vf_approve", str(shop.target_id))).status_code == 200
    )
    updates = slack_emulator.updates()
    assert updates, "the card was updated"
    for sent in [*updates, *slack_emulator.posts(), *slack_emulator.ephemerals()]:
        assert "<https://evil.example" not in sent["text"] and "<!channel>" not in sent["text"], sent["text"]
    assert any("&lt;https://evil.example|Re-login&gt;" in u["text"] for u in updates)
    # Ephemeral answers (the person's own commands) quote usernames too.
    assert slack.command(slash(shop.team.id, "hot")).status_code == 200
    answer = slack_emulator.ephemerals()[-1]["text"]
    assert "@&lt;!channel&gt;" in answer and "<!channel>" not in answer


def test_finding_13_deep_json_at_slack_events_is_a_400_before_any_parser(client, shop):
    deep = "[" * 100_000
    as_json = SlackSender(client).post(deep, "application/json")
    assert as_json.status_code == 400
    assert as_json.get_json()["error"]["code"] == "malformed_request"
    assert as_json.get_json()["error"]["fields"] == {"body": "At most 64 levels of nested arrays and objects."}
    as_form = SlackSender(client).post("payload=" + "%5B" * 100_000, "application/x-www-form-urlencoded")
    assert as_form.status_code == 400
    assert "payload" in as_form.get_json()["error"]["fields"]


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "12345678901234567890", "١٢٣"])
def test_finding_14_slack_events_with_a_bad_timestamp_is_a_401_not_a_500(client, timestamp):
    body = json.dumps({"type": "url_verification", "challenge": "x"})
    response = client.post(
        "/slack/events",
        data=body,
        headers={
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=00",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["fields"] == {
        "X-Slack-Request-Timestamp": "Unix time in seconds, as Slack sends it."
    }


def test_finding_14_a_good_timestamp_still_reaches_bolt(client, slack):
    signed = slack.event({"type": "url_verification", "challenge": "x"})
    assert signed.status_code == 200
    stale = slack.event({"type": "url_verification", "challenge": "x"}, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401


def test_finding_16_ids_beyond_the_integer_range_in_chat_commands_are_answered(
    app, client, slack, shop, slack_emulator, telegram_emulator
):
    assert slack.command(slash(shop.team.id, f"lead {BEYOND_INT4} won")).status_code == 200
    assert slack_emulator.ephemerals()[-1]["text"] == "Lead not found."
    assert telegram_update(client, tg_message(CHAT_ID, TG_USER, f"/lead {BEYOND_INT4} won")).status_code == 200
    assert telegram_emulator.params("sendMessage")[-1]["text"] == "Lead not found."
    assert _failed_jobs(app) == []


def test_finding_16_ids_beyond_the_integer_range_in_buttons_are_answered(
    app, client, slack, shop, slack_emulator, telegram_emulator
):
    message_id = int(card_refs(app, shop.target_id)["telegram"])
    for data in (
        f"ap:{BEYOND_INT4}",
        f"tp:{shop.target_id}:{BEYOND_INT4}",
        f"ls:{BEYOND_INT4}",
        f"lv:{BEYOND_INT4}:won",
    ):
        tap = tg_callback(CHAT_ID, TG_USER, message_id, data)
        assert telegram_update(client, tap).status_code == 200
        answer = telegram_emulator.params("answerCallbackQuery")[-1]
        assert answer["callback_query_id"] == tap["callback_query"]["id"]
        assert answer.get("text"), data  # an answer in words, whatever the button
    ts = card_refs(app, shop.target_id)["slack"]
    for action_id, value in (("vf_approve", BEYOND_INT4), ("vf_template", f"{shop.target_id}:{BEYOND_INT4}")):
        before = len(slack_emulator.ephemerals()) + len(slack_emulator.updates())
        assert slack.action(block_action(shop.team.id, "C0ALERTS", ts, action_id, value)).status_code == 200
        # Answered privately ("This person is not in this workspace.") or on the card ("Unknown template.").
        assert len(slack_emulator.ephemerals()) + len(slack_emulator.updates()) == before + 1, action_id
    assert _failed_jobs(app) == []
    with app.app_context():
        assert db.session.scalar(select(Lead).where(Lead.target_id == shop.target_id)) is None


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/hot"}},
        {"update_id": 2, "message": {"message_id": 1, "date": 0, "text": "/hot", "chat": None}},
        {"update_id": 3, "message": {"message_id": 1, "date": 0, "text": "/hot", "chat": {"id": "x"}}},
        {"update_id": 4, "message": "hello"},
        {"update_id": 5, "callback_query": {"id": "q1", "data": "ap:1"}},
        {"update_id": 6, "callback_query": {"data": 12, "message": {"chat": 5}}},
        {"update_id": 7, "my_chat_member": {"new_chat_member": {"status": "kicked"}}},
        {"update_id": 8, "my_chat_member": "x"},
        {"update_id": 9, "message": {"message_id": 1, "text": ["/hot"], "chat": {"id": CHAT_ID}, "from": "x"}},
    ],
)
def test_finding_16_telegram_updates_without_a_chat_are_handled(app, client, telegram_emulator, update):
    base = 910_000 + update["update_id"]
    assert telegram_update(client, update | {"update_id": base}).status_code == 200
    assert _failed_jobs(app) == []
