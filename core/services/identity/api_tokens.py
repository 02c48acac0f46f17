"""Personal API tokens: created with a name, shown once, listed without the secret, revoked."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db, utcnow
from core.errors import Conflict, NotFound
from core.i18n import _
from core.models import ApiToken
from core.pagination import Page, paginate
from core.security.tokens import new_api_token
from core.services import audit
from core.services.identity.actors import Actor
from core.validation import clean_name, collect

MAX_ACTIVE_TOKENS = 50
# Enough to recognise a token in a list ("vf_Ab3dE6…"), far too little to guess the rest.
PREFIX_LENGTH = 10


def _require_user(actor: Actor) -> int:
    if actor.user_id is None:
        raise NotFound(_("Token not found."))
    return actor.user_id


def create(name: str, *, actor: Actor) -> tuple[ApiToken, str]:
    """Create a token for the actor; returns (row, secret), the secret is never stored nor shown again."""
    user_id = _require_user(actor)
    cleaned = collect(name=lambda: clean_name(name, max_length=80))
    active = db.session.scalar(
        select(func.count(ApiToken.id)).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE_TOKENS:
        raise Conflict(
            _(
                "You already have %(max_active_tokens)s active tokens; revoke one first.",
                max_active_tokens=MAX_ACTIVE_TOKENS,
            )
        )
    secret, digest = new_api_token()
    token = ApiToken(user_id=user_id, name=cleaned["name"], token_hash=digest, prefix=secret[:PREFIX_LENGTH])
    db.session.add(token)
    db.session.flush()
    audit.record(
        actor, "api_token.created", subject_type="api_token", subject_id=token.id, details={"name": token.name}
    )
    db.session.commit()
    return token, secret


def page_for(*, actor: Actor, cursor: str | None = None, limit: int | None = None) -> Page:
    """The actor's tokens, newest first, revoked ones included."""
    user_id = _require_user(actor)
    stmt = select(ApiToken).where(ApiToken.user_id == user_id)
    return paginate(stmt, [ApiToken.id], cursor=cursor, limit=limit, descending=True)


def get(token_id: int, *, actor: Actor) -> ApiToken:
    """One of the actor's tokens; another user's token is NotFound, exactly like a missing one."""
    user_id = _require_user(actor)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(_("Token not found."))
    return token


def revoke(token_id: int, *, actor: Actor) -> ApiToken:
    """Revoke one of the actor's tokens; revoking twice is harmless."""
    token = get(token_id, actor=actor)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            actor, "api_token.revoked", subject_type="api_token", subject_id=token.id, details={"name": token.name}
        )
    db.session.commit()
    return token
