"""OAuth `state`: signed, bound to user + workspace + platform, valid 10 minutes, usable once.

The callback also checks who arrives: the browser must be signed in as the person who started the
flow, and a flow started in the console must come back to the same browser session (its nonce is
kept in that session). Without both, an attacker's link could attach a victim's Instagram account
or Slack team to the attacker's workspace (login CSRF).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, update

from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import _
from core.models import OAuthState

STATE_TTL = timedelta(minutes=10)
_SALT = "vistaflow.oauth-state"


class StateInvalid(Invalid):
    """The callback's state is bad, expired, already used or for another platform."""

    code = "invalid_state"
    status = 400


class StateNotYours(StateInvalid):
    """A valid state that this browser did not start: another person's, or another browser's."""

    code = "state_not_yours"
    status = 403


@dataclass(frozen=True)
class IssuedState:
    token: str  # goes to the platform as `state`
    nonce: str  # the door keeps it in the browser session that started the flow


@dataclass(frozen=True)
class CallbackBrowser:
    """Who arrives at a callback: the signed-in user (None if nobody) and the nonces its session started."""

    user_id: int | None
    nonces: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ConnectIntent:
    workspace_id: int
    user_id: int
    platform: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue(platform: str, workspace_id: int, user_id: int, *, browser_bound: bool) -> IssuedState:
    """Add a state row (the caller commits) and return its signed token and nonce.

    `browser_bound`: the flow starts in a browser session (the console), which must be the one that
    comes back. A flow started over the API has no session; its callback still needs the same user.
    """
    nonce = secrets.token_urlsafe(24)
    db.session.add(
        OAuthState(
            nonce=nonce,
            platform=platform,
            workspace_id=workspace_id,
            user_id=user_id,
            expires_at=utcnow() + STATE_TTL,
        )
    )
    # Old attempts are useless after their 10 minutes; keep the table small as we go.
    db.session.execute(delete(OAuthState).where(OAuthState.expires_at < utcnow() - timedelta(days=1)))
    claims = {"n": nonce, "p": platform, "w": workspace_id, "u": user_id, "b": browser_bound}
    return IssuedState(token=_serializer().dumps(claims), nonce=nonce)


def consume(platform: str, token: str, browser: CallbackBrowser) -> ConnectIntent:
    """Check a state and who brings it, then mark it used (committed at once, so a replay fails)."""
    try:
        claims = _serializer().loads(token or "", max_age=int(STATE_TTL.total_seconds()))
    except SignatureExpired:
        raise StateInvalid(_("This connection link has expired; start the connection again.")) from None
    except BadSignature:
        raise StateInvalid(_("This connection link is not valid; start the connection again.")) from None
    if not isinstance(claims, dict) or claims.get("p") != platform:
        raise StateInvalid(_("This connection link is not valid for this platform; start again."))
    _check_browser(claims, browser)
    # One UPDATE decides: two callbacks racing with the same state cannot both win.
    result = db.session.execute(
        update(OAuthState)
        .where(
            OAuthState.nonce == claims.get("n"),
            OAuthState.platform == platform,
            OAuthState.workspace_id == claims.get("w"),
            OAuthState.user_id == claims.get("u"),
            OAuthState.used_at.is_(None),
            OAuthState.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
    )
    db.session.commit()
    if result.rowcount != 1:
        raise StateInvalid(_("This connection link was already used or has expired; start the connection again."))
    return ConnectIntent(workspace_id=int(claims["w"]), user_id=int(claims["u"]), platform=platform)


def _check_browser(claims: dict, browser: CallbackBrowser) -> None:
    # Refused before the state is used: the person who started the flow can still finish it.
    if browser.user_id is None:
        raise StateNotYours(
            _("Sign in to VistaFlow in this browser as the person who started the connection, then start it again.")
        )
    if browser.user_id != claims.get("u") or (claims.get("b") and claims.get("n") not in browser.nonces):
        raise StateNotYours(
            _(
                "This connection was started by someone else or in another browser; "
                "nothing was connected. Start the connection again from your own VistaFlow page."
            )
        )
