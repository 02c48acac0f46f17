"""Chats read their own language: a French Telegram chat gets a French card and French buttons (callback
data within Telegram's 64 bytes, codes unchanged), a Slack channel set to French gets a French card, a
private chat follows the person's language, and the daily digest speaks each chat's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import TelegramChat
from core.services.chat import digest
from tests.bot.helpers import telegram_update, tg_callback
from tests.bot.scenario import (
    CHAT_ID,
    TG_USER,
    about_to_be_hot,
    card_refs,
    chat_config,
    linked_workspace,
    slack_cards,
    telegram_cards,
)
from worker.jobs.chat import dispatch_alerts, post_message

ALERTS = {"hot": "on", "dm_replied": "on", "needs_reconnect": "on", "digest": "on"}


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


def _telegram_chat_row(app) -> int:
    with app.app_context():
        return db.session.scalar(select(TelegramChat.id).where(TelegramChat.chat_id == CHAT_ID))


def _set_telegram_language(app, console, ws: int, locale: str):
    row = _telegram_chat_row(app)
    page = f"/w/{ws}/chat"
    response = console.post_form(page, ALERTS | {"locale": locale}, action=f"/w/{ws}/chat/telegram/{row}/alerts")
    assert response.status_code == 303


def _buttons(post: dict) -> list[dict]:
    return [button for row in post["reply_markup"]["inline_keyboard"] for button in row]


def test_a_french_telegram_chat_gets_a_french_card_and_buttons_within_64_bytes(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator
):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    _set_telegram_language(app, console, shop.ws, "fr")
    assert "Français" in console.get(f"/w/{shop.ws}/chat").get_data(as_text=True)
    about_to_be_hot(app, instagram_emulator, shop)
    with app.app_context():
        assert dispatch_alerts()["posted"] == 2

    [card] = telegram_cards(telegram_emulator)
    assert "@ana sur Instagram — score" in card["text"] and "Compte : @" in card["text"]
    labels = [b["text"] for b in _buttons(card)]
    assert labels == [
        "✅ Approuver le DM",
        "Écarter",
        "✏️ Modifier le texte",
        "Approuver avec un modèle…",
        "Créer un lead / statut…",
        "Pas acheteur",
        "🛑 A demandé d\u2019arrêter",
    ]
    assert all(len(b["callback_data"].encode()) <= 64 for b in _buttons(card))
    codes = [b["callback_data"].split(":")[0] for b in _buttons(card)]
    assert codes == ["ap", "sk", "ed", "tl", "ls", "lb", "sc"]  # codes stay ("sc" asks before "Asked to stop")
    # The Slack channel has no language of its own: the workspace's default, English.
    [slack_card] = slack_cards(slack_emulator)
    assert "@ana on Instagram — score" in slack_card["text"]

    # The lead status keyboard: French labels, English status codes in the callback data.
    message_id = int(card_refs(app, shop.target_id)["telegram"])
    response = telegram_update(client, tg_callback(CHAT_ID, TG_USER, message_id, f"ls:{shop.target_id}"))
    assert response.status_code == 200
    keyboard = telegram_emulator.params("editMessageText")[-1]
    statuses = {b["text"]: b["callback_data"] for b in _buttons(keyboard)}
    assert statuses["gagné"] == f"lv:{shop.target_id}:won" and "« Retour" in statuses
    assert all(len(data.encode()) <= 64 for data in statuses.values())

    # Skipping from the French chat: the card says what happened in French, the tap's answer too.
    response = telegram_update(client, tg_callback(CHAT_ID, TG_USER, message_id, f"sk:{shop.target_id}"))
    assert response.status_code == 200
    edited = [p for p in telegram_emulator.params("editMessageText") if str(p["message_id"]) == str(message_id)]
    assert "Écarté par @Olive" in edited[-1]["text"]
    assert telegram_emulator.params("answerCallbackQuery")[-1].get("text") == "Fait"


def test_a_slack_channel_set_to_french_gets_a_french_card(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator
):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator, telegram=False)
    response = console.post_form(
        f"/w/{shop.ws}/chat", ALERTS | {"locale": "fr"}, action=f"/w/{shop.ws}/chat/slack/alerts"
    )
    assert response.status_code == 303
    about_to_be_hot(app, instagram_emulator, shop)
    with app.app_context():
        assert dispatch_alerts()["posted"] == 1
    [card] = slack_cards(slack_emulator)
    assert "@ana sur Instagram — score" in card["text"]
    elements = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    approve = next(e for e in elements if e["action_id"] == "vf_approve")
    assert approve["text"]["text"] == "Approuver le DM" and approve["value"] == str(shop.target_id)
    lead = next(e for e in elements if e["action_id"] == "vf_lead")
    assert lead["placeholder"]["text"] == "Statut du lead…"
    options = {o["text"]["text"]: o["value"] for o in lead["options"]}
    assert options["Lead : qualifié"] == f"{shop.target_id}:qualified"


def test_a_private_chat_follows_the_persons_language_and_the_digest_too(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator
):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    assert shop.owner.patch("/users/me", json={"locale": "fr"}).status_code == 200
    about_to_be_hot(app, instagram_emulator, shop)
    with app.app_context():
        dispatch_alerts()
        made = digest.record_due(force=True)
        for message_id in made:
            post_message(message_id)
    [card] = telegram_cards(telegram_emulator)
    assert "@ana sur Instagram" in card["text"]
    [tg_digest] = [p for p in telegram_emulator.params("sendMessage") if "📊" in p["text"]]
    assert "Résumé du jour pour" in tg_digest["text"] and "1 nouvelle cible chaude" in tg_digest["text"]
    [slack_digest] = [p for p in slack_emulator.posts() if "📊" in p["text"]]
    assert "Daily digest for" in slack_digest["text"] and "1 new hot target," in slack_digest["text"]
