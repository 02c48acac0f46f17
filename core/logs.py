"""Logging: one line per record, JSON in production, with the request id when there is one."""

from __future__ import annotations

import json
import logging
import re
import sys

from flask import Flask, g, has_app_context, has_request_context

from core.platforms.base import scrub

# Telegram's Bot API takes the bot token in the URL path: /bot<token>/sendMessage.
_BOT_TOKEN_PATH = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
# Client libraries that log every request URL at INFO; outgoing webhook URLs and the Telegram path carry
# secrets, so only their warnings and errors are kept.
QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "urllib3")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = None
        if has_request_context() or has_app_context():
            request_id = g.get("request_id")
        record.request_id = request_id or "-"
        return True


class ScrubSecretsFilter(logging.Filter):
    """Mask token-like query values and Telegram bot-token paths in every line our handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's problem, not ours
            return True
        cleaned = _BOT_TOKEN_PATH.sub("/bot***", scrub(message))
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def init_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ScrubSecretsFilter())
    if app.config.get("LOG_JSON"):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    # Replace only our own handler so repeated app builds (tests) do not stack handlers.
    for existing in list(root.handlers):
        if getattr(existing, "_vistaflow", False):
            root.removeHandler(existing)
    handler._vistaflow = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        quiet.setLevel(logging.WARNING)
        # On the logger too, so whatever it still logs is scrubbed for every handler (pytest's, Sentry's).
        if not any(isinstance(f, ScrubSecretsFilter) for f in quiet.filters):
            quiet.addFilter(ScrubSecretsFilter())
