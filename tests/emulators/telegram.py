"""A local Telegram Bot API for tests (PTB's base_url points at it): sendMessage, editMessageText,
answerCallbackQuery, getMe, getUpdates, deleteWebhook, and chats that removed the bot (403).

Point the app at it with TELEGRAM_API_URL = emulator.url and TELEGRAM_BOT_TOKEN = emulator.token.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs

from tests.emulators.server import EmulatorServer, Reply, Request


class TelegramEmulator(EmulatorServer):
    def __init__(self, token: str = "123456:TEST-bot-token", username: str = "vistaflow_test_bot") -> None:
        super().__init__()
        self.token = token
        self.username = username
        self.blocked_chats: set[int] = set()
        self.pending_updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(100)
        self._sent_ids: list[int] = []

    def config(self) -> dict[str, str]:
        return {"TELEGRAM_API_URL": self.url, "TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_BOT_USERNAME": self.username}

    # ------------------------------------------------------------ what the app sent

    def params(self, method: str) -> list[dict[str, Any]]:
        return [self._params(r) for r in self.calls(path_contains=f"/{method}") if r.path.endswith(f"/{method}")]

    def sent_ids(self) -> list[int]:
        """The message ids sendMessage answered with, in order (to reply to or tap on a bot's message)."""
        return list(self._sent_ids)

    @staticmethod
    def _params(request: Request) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            raw = request.json or {}
        else:
            raw = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            values[key] = value
        return values

    # ------------------------------------------------------------ wire

    def _message(self, chat_id: Any, text: str, message_id: int | None = None, markup: Any = None) -> dict:
        message = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "group"},
            "text": text,
        }
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes only inline keyboards, never a ForceReply
        return message

    def handle(self, request: Request) -> Reply:
        prefix, _, method = request.path.rpartition("/")
        if prefix != f"/bot{self.token}":
            return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        params = self._params(request)
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked_chats:
            return Reply(
                403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was kicked from the group chat"}
            )
        if method == "getMe":
            return Reply(
                200,
                {
                    "ok": True,
                    "result": {"id": 123456, "is_bot": True, "first_name": "VistaFlow", "username": self.username},
                },
            )
        if method == "sendMessage":
            message = self._message(chat_id, params.get("text", ""), markup=params.get("reply_markup"))
            self._sent_ids.append(message["message_id"])
            return Reply(200, {"ok": True, "result": message})
        if method == "editMessageText":
            return Reply(
                200,
                {
                    "ok": True,
                    "result": self._message(
                        chat_id, params.get("text", ""), int(params.get("message_id", 0)), params.get("reply_markup")
                    ),
                },
            )
        if method in ("answerCallbackQuery", "deleteWebhook", "setWebhook"):
            return Reply(200, {"ok": True, "result": True})
        if method == "getUpdates":
            # Like Telegram: an offset confirms every update before it; the others come again until confirmed.
            offset = int(params.get("offset") or 0)
            self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
            return Reply(200, {"ok": True, "result": list(self.pending_updates)})
        return Reply(404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
