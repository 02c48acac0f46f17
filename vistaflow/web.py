"""Web helpers both HTTP doors use (console and bot): the JSON error answer, the session actor, CSRF.

They live in the composition root because a door never imports another door.
"""

from __future__ import annotations

from flask import Response, jsonify
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from core import i18n
from core.models import Door
from core.services.identity.actors import Actor

# The app's one CSRF protection: the console's forms are checked; blueprints signed otherwise
# (API tokens, Slack's signature, Telegram's secret header) are exempted where they are registered.
csrf = CSRFProtect()


def error_json(code: str, message: str, status: int, fields: dict[str, str] | None = None, headers=None) -> Response:
    """The JSON error answer: {"error": {"code", "message", "fields"?}} with `status` and `headers`.

    The message and each field's complaint are in the request's language (Flask-Babel's choice, see
    console/i18n.py); `code` and the field names stay English.
    """
    locale = get_locale()
    language = str(locale) if locale is not None else None
    body: dict = {"error": {"code": code, "message": i18n.render(message, language)}}
    if fields:
        body["error"]["fields"] = i18n.render(dict(fields), language)
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def session_actor() -> Actor:
    """The person signed in to the console session (cookie), acting through the console."""
    return Actor.for_user(current_user.user, Door.CONSOLE)
