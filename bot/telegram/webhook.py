"""POST /telegram/webhook: check the secret header, drop updates already seen, queue the rest, answer fast."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Blueprint, current_app, request

from core import job_names, jobs
from core.errors import VistaFlowError
from core.services.chat import dedupe
from vistaflow.web import error_json

log = logging.getLogger(__name__)
bp = Blueprint("telegram", __name__)
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def receive(update: dict[str, Any]) -> bool:
    """Queue one update unless its id was seen already (Telegram redelivers until it gets a 200)."""
    if not dedupe.first_time("telegram", str(update["update_id"])):
        return False
    try:
        jobs.enqueue(job_names.TELEGRAM_UPDATE, update, kind="telegram.update", queue=jobs.QUEUE_INTERACTIVE)
    except VistaFlowError as exc:
        dedupe.forget("telegram", str(update["update_id"]))  # let Telegram's redelivery try again
        raise exc
    return True


@bp.post("/telegram/webhook")
def webhook():
    secret = current_app.config.get("TELEGRAM_WEBHOOK_SECRET") or ""
    if not secret:
        return error_json("unavailable", "Telegram webhooks are not configured: set TELEGRAM_WEBHOOK_SECRET.", 503)
    given = request.headers.get(HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return error_json("unauthorized", "Bad or missing secret token.", 401)
    update = request.get_json(silent=True)
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return error_json("validation_error", "Not a Telegram update.", 400)
    receive(update)
    return {"ok": True}, 200
