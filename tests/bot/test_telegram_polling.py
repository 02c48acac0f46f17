"""`python -m bot.telegram` (polling mode, for development) as a real process against the fake Bot API:
it drops the webhook, takes updates from getUpdates and answers them."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from core.db import db
from core.models import TelegramChat
from tests.bot.helpers import ensure_login, tg_message
from tests.conftest import ROOT, subprocess_env, wait_for

CHAT = 881001


def _sent(emulator, text: str) -> list[dict]:
    return [p for p in emulator.params("sendMessage") if text in p["text"]]


def test_polling_mode_answers_updates_from_get_updates(
    app, client, console, factory, database_url, telegram_emulator, tmp_path
):
    owner = factory.user(name="Tara")
    ws = factory.workspace(owner, name="Shop")["id"]
    ensure_login(console, owner.email)
    page = console.post_form(f"/w/{ws}/chat", {}, action=f"/w/{ws}/chat/telegram/code").get_data(as_text=True)
    code = page.split("?start=")[1].split('"')[0]
    telegram_emulator.pending_updates += [tg_message(CHAT, 91, "/help"), tg_message(CHAT, 91, f"/start {code}")]

    # No REDIS_URL: the poller runs each update's job in its own process.
    env = subprocess_env(database_url, None, **telegram_emulator.config())
    log = (tmp_path / "poller.log").open("w")
    poller = subprocess.Popen(
        [sys.executable, "-m", "bot.telegram"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for(lambda: _sent(telegram_emulator, "Linked to"), timeout=30, message="the reply to /start")
    finally:
        poller.terminate()
        poller.wait(timeout=15)
        log.close()

    assert telegram_emulator.params("deleteWebhook"), "getUpdates refuses to work while a webhook is set"
    assert telegram_emulator.params("getUpdates")
    [help_reply] = _sent(telegram_emulator, "VistaFlow commands")
    assert int(help_reply["chat_id"]) == CHAT
    [linked] = _sent(telegram_emulator, "Linked to")
    assert "Linked to “Shop” as Tara" in linked["text"]
    with app.app_context():
        assert db.session.scalar(select(TelegramChat.workspace_id).where(TelegramChat.chat_id == CHAT)) == ws
