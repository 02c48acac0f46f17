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


def test_polling_refuses_to_start_where_the_webhook_is_configured(database_url, telegram_emulator):
    env = subprocess_env(database_url, None, **telegram_emulator.config(), TELEGRAM_WEBHOOK_SECRET="prod-secret")
    done = subprocess.run(
        [sys.executable, "-m", "bot.telegram"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in done.stdout + done.stderr
    # The production webhook is left in place.
    assert not telegram_emulator.params("deleteWebhook")
    assert not telegram_emulator.params("getUpdates")


def test_poller_waits_out_a_queue_outage_and_takes_the_update_again(app, database_url, telegram_emulator):
    from bot.telegram.__main__ import Poller
    from vistaflow import create_app

    config = telegram_emulator.config() | {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True}
    down = create_app(config | {"REDIS_URL": "redis://127.0.0.1:1/0"})
    sleeps: list[float] = []
    poller = Poller(down, sleep=sleeps.append)
    telegram_emulator.pending_updates.append(tg_message(CHAT, 91, "/help"))
    try:
        # The queue is down: the update is not confirmed (offset unchanged) and the loop backs off, alive.
        assert poller.poll_once() == 0 and poller.poll_once() == 0
        assert sleeps == [1.0, 2.0] and poller.offset == 0
        assert not _sent(telegram_emulator, "VistaFlow commands")

        # The queue is back (here: no Redis, jobs run in-process): Telegram hands the same update again.
        down.config["REDIS_URL"] = None
        down.extensions.pop("vistaflow_redis", None)
        assert poller.poll_once() == 1
        assert len(_sent(telegram_emulator, "VistaFlow commands")) == 1
        assert poller.poll_once() == 0 and poller.failures == 0 and sleeps == [1.0, 2.0]
    finally:
        with down.app_context():
            db.engine.dispose()
