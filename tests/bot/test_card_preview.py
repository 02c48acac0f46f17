"""Issue 25: a card shows the exact text Approve sends, how it goes and until when, and what went.

The preview is the default template rendered for the person by the composer's own rules; the text
that reaches the Instagram emulator is that preview, character for character.
"""

from __future__ import annotations

import pytest

from tests.bot.helpers import telegram_update, tg_callback
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
