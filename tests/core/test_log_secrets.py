"""Outgoing HTTP calls never put a secret into the logs: not the Telegram bot token (it rides in the URL
path) and not an outgoing webhook's URL (Slack/Zapier hook URLs carry their secret in the path)."""

from __future__ import annotations

import io
import logging

import pytest

from core.integrations import ssrf
from core.platforms import telegram
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.webhook_receiver import WebhookReceiver

TOKEN = "987654:SECRET-telegram-TOKEN-in-the-path"


@pytest.fixture
def telegram_emulator():
    with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
def app_config(telegram_emulator):
    return telegram_emulator.config()


def test_bot_token_and_hook_path_stay_out_of_every_log_line(app, telegram_emulator, caplog, capfd):
    # Alembic's fileConfig (the session's migration) disables loggers that existed then; a web or worker
    # process never runs it, so give httpx its production behaviour back.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).disabled = False
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        telegram.send(4242, "hello")
        with WebhookReceiver() as receiver:
            hook = receiver.url + "/hooks/T0001/B0002/SeCrEtHoOkPaTh"
            target = ssrf.check_url(hook, require_https=False, allow_loopback=True)
            ssrf.post(target, content=b"{}", headers={"Content-Type": "application/json"})
    assert telegram_emulator.params("sendMessage"), "the call must really have been made"
    logged = caplog.text + "".join(capfd.readouterr())
    assert "SECRET-telegram-TOKEN" not in logged
    assert "SeCrEtHoOkPaTh" not in logged


def test_our_handler_masks_a_bot_token_path_and_token_query_in_any_line(app):
    (handler,) = [h for h in logging.getLogger().handlers if getattr(h, "_vistaflow", False)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        log = logging.getLogger("vistaflow.test")
        log.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        log.warning("refresh at https://graph.example/oauth?access_token=IGQVJ-sEcReT&x=1")
    finally:
        handler.setStream(previous)
    written = stream.getvalue()
    assert "https://api.telegram.org/bot***/getMe" in written and "SECRET-telegram" not in written
    assert "access_token=***" in written and "sEcReT" not in written


def test_telegram_calls_work_where_the_thread_already_runs_an_event_loop(app, telegram_emulator):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def from_async_code():
        with app.app_context():
            telegram.send(4242, "from inside a running loop")

    # A thread of its own whose event loop is running when the send is made (this test's thread may
    # already run one: Playwright's sync API keeps a loop in the main thread).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, from_async_code()).result(timeout=30)
    assert telegram_emulator.params("sendMessage"), "the call must really have been made"
