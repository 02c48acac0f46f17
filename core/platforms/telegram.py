"""Bot API calls with python-telegram-bot, from synchronous code (web requests, RQ jobs).

PTB is asyncio-based: each call runs in its own short event loop. The base URL comes from
TELEGRAM_API_URL so tests and sandboxes talk to a local server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from core.errors import Unavailable
from core.i18n import _

log = logging.getLogger(__name__)
T = TypeVar("T")
# BadRequest texts that mean the chat itself is gone.
CHAT_GONE = (
    "chat not found",
    "bot was kicked",
    "group chat was deactivated",
    "user is deactivated",
    "have no rights to send",
    "not enough rights",
)


@dataclass
class TelegramFailure(Exception):
    """A Bot API call failed; `kind` says whether to retry, disable the chat, or give up."""

    code: str
    kind: str  # retry | chat_gone | refused | ignore

    def __str__(self) -> str:
        return f"telegram: {self.code}"


def settings() -> tuple[str, str]:
    token = current_app.config.get("TELEGRAM_BOT_TOKEN") or ""
    if not token:
        raise Unavailable(_("Telegram is not configured: set TELEGRAM_BOT_TOKEN."))
    return token, current_app.config["TELEGRAM_API_URL"]


def classify(exc: Exception) -> TelegramFailure:
    message = str(getattr(exc, "message", "") or exc).lower()
    if isinstance(exc, Forbidden | ChatMigrated):
        return TelegramFailure("forbidden", "chat_gone")
    if isinstance(exc, BadRequest):
        if "message is not modified" in message:
            return TelegramFailure("not_modified", "ignore")
        if any(text in message for text in CHAT_GONE):
            return TelegramFailure("chat_not_found", "chat_gone")
        return TelegramFailure("bad_request", "refused")
    if isinstance(exc, InvalidToken):
        return TelegramFailure("invalid_token", "refused")
    if isinstance(exc, RetryAfter):
        return TelegramFailure("retry_after", "retry")
    return TelegramFailure(type(exc).__name__, "retry")


def run(call: Callable[[Bot], Awaitable[T]]) -> T:
    """Run `call(bot)` to completion; TelegramFailure on any Bot API error (never the token in it)."""
    token, api_url = settings()

    async def main() -> T:
        request = HTTPXRequest(connection_pool_size=4, read_timeout=15, connect_timeout=5)
        bot = Bot(
            token,
            base_url=f"{api_url}/bot",
            base_file_url=f"{api_url}/file/bot",
            request=request,
            get_updates_request=request,
        )
        try:
            return await call(bot)
        finally:
            await request.shutdown()

    try:
        return _run_to_completion(main())
    except (TelegramError, OSError) as exc:
        failure = classify(exc)
        log.warning("telegram call failed: %s", failure.code)
        raise failure from None


def send(chat_id: int | str, text: str, markup: Any = None, *, reply_to: int | str | None = None) -> int:
    """sendMessage (HTML), as a reply to `reply_to` when given (sent alone if that message is gone); its id."""
    reply = ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True) if reply_to else None
    message = run(
        lambda bot: bot.send_message(
            chat_id=chat_id,
            text=text,
            parse_mode="HTML",
            reply_markup=markup,
            disable_web_page_preview=True,
            reply_parameters=reply,
        )
    )
    return message.message_id


def edit(chat_id: int | str, message_id: int | str, text: str, markup: Any = None) -> None:
    """editMessageText (HTML); an unchanged message is not an error."""
    try:
        run(
            lambda bot: bot.edit_message_text(
                chat_id=chat_id,
                message_id=int(message_id),
                text=text,
                parse_mode="HTML",
                reply_markup=markup,
                disable_web_page_preview=True,
            )
        )
    except TelegramFailure as failure:
        if failure.kind != "ignore":
            raise


def answer_callback(callback_query_id: str, text: str | None = None) -> None:
    """answerCallbackQuery: always called, so the button stops spinning."""
    # Too late or already answered is no error: the tap was handled anyway.
    with contextlib.suppress(TelegramFailure):
        run(lambda bot: bot.answer_callback_query(callback_query_id, text=(text or None) and text[:200]))


def _run_to_completion(coroutine: Any) -> Any:
    """Run a coroutine from synchronous code, even where this thread already runs an event loop
    (an async host, a test driver): then it gets a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
