"""Buttons and commands carrying garbage numbers ("²", "abc") answer a clear error in the chat: the
job never fails silently, and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import DirectMessage, Lead
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

GARBAGE = ("²", "abc", "-1")


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


@pytest.fixture
def shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator):
    return posted_hot_shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator)


def _nothing_changed(app, target_id: int) -> None:
    with app.app_context():
        assert db.session.scalar(select(Lead).where(Lead.target_id == target_id)) is None
        statuses = db.session.scalars(select(DirectMessage.status).where(DirectMessage.target_id == target_id))
        assert set(statuses) <= {"draft"}


@pytest.mark.parametrize("value", GARBAGE)
def test_telegram_buttons_with_garbage_answer_unknown_button(app, client, shop, telegram_emulator, value):
    message_id = int(card_refs(app, shop.target_id)["telegram"])
    for data in (f"ap:{value}", f"tp:{shop.target_id}:{value}", f"ls:{value}", f"lv:{shop.target_id}"):
        tap = tg_callback(CHAT_ID, TG_USER, message_id, data)
        assert telegram_update(client, tap).status_code == 200
        answer = telegram_emulator.params("answerCallbackQuery")[-1]
        assert answer["callback_query_id"] == tap["callback_query"]["id"]
        assert answer.get("text") == "Unknown button.", data
    _nothing_changed(app, shop.target_id)


@pytest.mark.parametrize("value", GARBAGE)
def test_slack_buttons_with_garbage_answer_privately(app, slack, shop, slack_emulator, value):
    ts = card_refs(app, shop.target_id)["slack"]
    for action_id, button in (("vf_approve", value), ("vf_template", f"{shop.target_id}:{value}")):
        before = len(slack_emulator.ephemerals())
        assert slack.action(block_action(shop.team.id, "C0ALERTS", ts, action_id, button)).status_code == 200
        said = slack_emulator.ephemerals()[before:]
        assert [p["text"] for p in said] == ["Unknown button."], action_id
    _nothing_changed(app, shop.target_id)


@pytest.mark.parametrize("value", GARBAGE)
def test_lead_command_with_a_garbage_number_says_how(client, slack, shop, slack_emulator, telegram_emulator, value):
    assert slack.command(slash(shop.team.id, f"lead {value} won")).status_code == 200
    assert "Give a lead number" in slack_emulator.ephemerals()[-1]["text"]
    assert telegram_update(client, tg_message(CHAT_ID, TG_USER, f"/lead {value} won")).status_code == 200
    assert "Give a lead number" in telegram_emulator.params("sendMessage")[-1]["text"]
