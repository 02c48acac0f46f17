"""OAuth `state`: signed, bound to user + workspace + platform, valid 10 minutes, usable once."""

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


@dataclass(frozen=True)
class ConnectIntent:
    workspace_id: int
    user_id: int
    platform: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue(platform: str, workspace_id: int, user_id: int) -> str:
    """Add a state row (the caller commits) and return its signed token."""
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
    return _serializer().dumps({"n": nonce, "p": platform, "w": workspace_id, "u": user_id})


def consume(platform: str, token: str) -> ConnectIntent:
    """Check a state and mark it used (committed at once, so a replay fails even if the rest fails)."""
    try:
        claims = _serializer().loads(token or "", max_age=int(STATE_TTL.total_seconds()))
    except SignatureExpired:
        raise StateInvalid(_("This connection link has expired; start the connection again.")) from None
    except BadSignature:
        raise StateInvalid(_("This connection link is not valid; start the connection again.")) from None
    if not isinstance(claims, dict) or claims.get("p") != platform:
        raise StateInvalid(_("This connection link is not valid for this platform; start again."))
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
