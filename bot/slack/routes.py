"""Slack's event endpoint: /slack/events (bolt). The install pages are the console's (console/web)."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.slack.app import bolt_for
from core.payloads import storable
from vistaflow.web import error_json

bp = Blueprint("slack", __name__)


@bp.post("/slack/events")
def events():
    if not current_app.config.get("SLACK_SIGNING_SECRET"):
        return error_json("unavailable", "Slack is not configured: set SLACK_SIGNING_SECRET.", 503)
    # slack_sdk's verifier calls int() on the timestamp: anything but digits would be a 500, so it is refused here.
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    if not (timestamp.isascii() and timestamp.isdecimal() and len(timestamp) <= 12):
        return error_json(
            "unauthorized",
            "Missing or invalid X-Slack-Request-Timestamp.",
            401,
            {"X-Slack-Request-Timestamp": "Unix time in seconds, as Slack sends it."},
        )
    refusal = _unreadable_body()
    if refusal is not None:
        return refusal
    return SlackRequestHandler(bolt_for(current_app._get_current_object())).handle(request)


def _unreadable_body():
    """A 400 for a body bolt would choke on (a 500 from its parser or the database), else None.

    Slack sends UTF-8: a JSON object (events), or a form whose `payload` field is a JSON object
    (interactivity), or a plain form (slash commands), never a NUL or a lone surrogate.
    """
    raw = request.get_data(cache=True)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return error_json("malformed_request", "The body is not UTF-8.", 400, {"body": "Must be UTF-8 text."})
    if request.mimetype == "application/json":
        name, content = "body", _json_object(raw)
    elif "payload" in request.form:
        name, content = "payload", _json_object(request.form["payload"])
    else:
        name, content = "body", request.form.to_dict()
    if content is None:
        return error_json("malformed_request", f"The {name} is not a JSON object.", 400, {name: "A JSON object."})
    if storable(content) != content:
        return error_json(
            "malformed_request", f"The {name} has NUL characters or invalid Unicode.", 400, {name: "Plain text only."}
        )
    return None


def _json_object(text: bytes | str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:  # includes integers longer than Python parses (4,300 digits)
        return None
    return value if isinstance(value, dict) else None
