"""Web helpers both HTTP doors use (console and bot): the JSON error answer, the session actor, CSRF.

They live in the composition root because a door never imports another door.
"""

from __future__ import annotations

from flask import Response, jsonify, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from core import i18n
from core.models import Door
from core.services.accounts.oauth_states import CallbackBrowser
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


# OAuth flows this browser session started (newest last); a few, for tabs opened side by side.
_OAUTH_NONCES = "oauth_nonces"
_KEPT_NONCES = 5


def remember_oauth_start(nonce: str) -> None:
    """Keep the nonce of an OAuth flow started here: only this session may bring its state back."""
    session[_OAUTH_NONCES] = [*session.get(_OAUTH_NONCES, [])[-(_KEPT_NONCES - 1) :], nonce]


def callback_browser() -> CallbackBrowser:
    """Who arrives at an OAuth callback: the signed-in user and the flows this session started."""
    nonces = session.get(_OAUTH_NONCES)
    nonces = nonces if isinstance(nonces, list) else []
    user_id = current_user.user.id if current_user.is_authenticated else None
    return CallbackBrowser(user_id=user_id, nonces=frozenset(n for n in nonces if isinstance(n, str)))
