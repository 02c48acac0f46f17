"""Teaching the reader from a hot card: "Not a buyer" and "Asked to stop", from Telegram and Slack."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Interaction, InteractionLabel, Target
from core.services.privacy import contact_policy
from tests.bot.helpers import telegram_update, tg_callback
from tests.bot.scenario import CHAT_ID, TG_USER, block_action, card_refs, chat_config, posted_hot_shop


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


@pytest.fixture
def shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator):
    return posted_hot_shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator)


def _buttons(markup: dict) -> list[str]:
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def test_not_a_buyer_from_telegram_reads_the_buying_comment_again(app, client, shop, telegram_emulator):
    [card] = [p for p in telegram_emulator.params("sendMessage") if "@ana" in p["text"]]
    assert f"lb:{shop.target_id}:not_buyer" in _buttons(card["reply_markup"])
    message_id = int(card_refs(app, shop.target_id)["telegram"])

    tapped = tg_callback(CHAT_ID, TG_USER, message_id, f"lb:{shop.target_id}:not_buyer")
    assert telegram_update(client, tapped).status_code == 200

    assert "not a buyer; the reader learns it" in telegram_emulator.params("editMessageText")[-1]["text"]
    with app.app_context():
        label = db.session.scalar(select(InteractionLabel))
        assert label.label == "not_buyer"
        assert db.session.get(Interaction, label.interaction_id).has_intent is False
        assert db.session.get(Target, shop.target_id).score < 70


def test_asked_to_stop_from_slack_blocks_the_person(app, slack, shop, slack_emulator):
    [posted] = [p for p in slack_emulator.posts() if p.get("channel") == "C0ALERTS"]
    teach = [
        e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "vf_teach"
    ]
    assert [e["value"] for e in teach] == [f"{shop.target_id}:not_buyer", f"{shop.target_id}:opt_out"]
    assert "confirm" in teach[1]  # blocking someone asks first
    ts = card_refs(app, shop.target_id)["slack"]

    slack.action(block_action(shop.team.id, "C0ALERTS", ts, "vf_teach", f"{shop.target_id}:opt_out"))

    with app.app_context():
        target = db.session.get(Target, shop.target_id)
        assert contact_policy.is_blocked(target.workspace_id, target.platform, target.platform_user_id)
        assert db.session.scalar(select(InteractionLabel.label)) == "opt_out"


def test_a_garbled_teach_button_changes_nothing(app, client, shop, telegram_emulator):
    message_id = int(card_refs(app, shop.target_id)["telegram"])
    tapped = tg_callback(CHAT_ID, TG_USER, message_id, f"lb:{shop.target_id}:buyer_please")
    assert telegram_update(client, tapped).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(InteractionLabel)) is None


def test_asked_to_stop_from_telegram_asks_again_before_blocking(app, client, shop, telegram_emulator):
    [card] = [p for p in telegram_emulator.params("sendMessage") if "@ana" in p["text"]]
    assert f"sc:{shop.target_id}" in _buttons(card["reply_markup"])  # not the label itself: a question first
    message_id = int(card_refs(app, shop.target_id)["telegram"])

    asked = tg_callback(CHAT_ID, TG_USER, message_id, f"sc:{shop.target_id}")
    assert telegram_update(client, asked).status_code == 200
    question = telegram_emulator.params("editMessageText")[-1]
    assert _buttons(question["reply_markup"]) == [f"lb:{shop.target_id}:opt_out", f"bk:{shop.target_id}"]
    with app.app_context():
        assert db.session.scalar(select(InteractionLabel)) is None  # nothing yet: "Back" would leave them be

    sure = tg_callback(CHAT_ID, TG_USER, message_id, f"lb:{shop.target_id}:opt_out")
    assert telegram_update(client, sure).status_code == 200
    with app.app_context():
        target = db.session.get(Target, shop.target_id)
        assert contact_policy.is_blocked(target.workspace_id, target.platform, target.platform_user_id)
