"""Console sign-ins, one row per browser: started at login, checked on each request, ended at logout.

The browser's flask-login id (in the session cookie and the remember-me cookie alike) carries a random
key; a session whose row is ended or missing loads no user, so a logged-out remember-me cookie opens
nothing, and the account page can list and end the others.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from core.db import db, utcnow
from core.errors import NotFound
from core.i18n import _
from core.models import ConsoleSession
from core.security.tokens import digest
from core.services import audit
from core.services.identity.access import fits_key
from core.services.identity.actors import Actor

# The remember-me cookie lives a year (flask-login's default); a session unseen that long is gone.
REMEMBER_DAYS = 365
# A browser-session sign-in (no "keep me logged in") unseen for a week counts as ended (its cookie
# normally dies with the browser long before).
IDLE_SESSION = timedelta(days=7)
# Saving "last seen" on every request would write on every page view; once a minute tells enough.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Started:
    key: str
    session: ConsoleSession


def start(user_id: int, *, remember: bool, user_agent: str, ip: str) -> Started:
    """A new sign-in for this browser; the key goes into its cookies and nowhere else."""
    key = secrets.token_urlsafe(24)
    row = ConsoleSession(
        user_id=user_id,
        key_hash=digest(key),
        remember=remember,
        user_agent=(user_agent or "")[:200],
        ip=(ip or "")[:64],
    )
    db.session.add(row)
    db.session.commit()
    return Started(key, row)


def is_live(user_id: int, key: str) -> bool:
    """Whether the browser holding `key` is still signed in as `user_id` (and note that it was seen)."""
    row = db.session.scalar(select(ConsoleSession).where(ConsoleSession.key_hash == digest(key or "")))
    if row is None or row.user_id != user_id or row.ended_at is not None or _expired(row, utcnow()):
        return False
    now = utcnow()
    if now - row.last_seen_at >= TOUCH_EVERY:
        db.session.execute(update(ConsoleSession).where(ConsoleSession.id == row.id).values(last_seen_at=now))
        db.session.commit()
    return True


def end(key: str) -> None:
    """Logout: this browser's sign-in ends, its remember-me cookie with it."""
    db.session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.key_hash == digest(key or ""), ConsoleSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    db.session.commit()


def end_all(user_id: int) -> None:
    """Every sign-in of the user ends (password change, suspension); the caller commits."""
    db.session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def current(*, actor: Actor) -> list[ConsoleSession]:
    """The actor's live sign-ins, most recently seen first."""
    now = utcnow()
    rows = db.session.scalars(
        select(ConsoleSession)
        .where(ConsoleSession.user_id == actor.user_id, ConsoleSession.ended_at.is_(None))
        .order_by(ConsoleSession.last_seen_at.desc(), ConsoleSession.id.desc())
    )
    return [row for row in rows if not _expired(row, now)]


def key_digest(key: str) -> str:
    """What the row of the sign-in holding `key` stores (to mark "this browser" in a list)."""
    return digest(key) if key else ""


def end_one(session_id: int, *, actor: Actor) -> ConsoleSession:
    """End one of the actor's own sign-ins (NotFound for anyone else's)."""
    row = db.session.get(ConsoleSession, session_id) if fits_key(ConsoleSession, session_id) else None
    if row is None or row.user_id != actor.user_id or row.ended_at is not None:
        raise NotFound(_("Session not found."))
    row.ended_at = utcnow()
    audit.record(actor, "user.session_ended", subject_type="user", subject_id=actor.user_id)
    db.session.commit()
    return row


def end_others(keep_key: str, *, actor: Actor) -> int:
    """ "Sign out other sessions": every sign-in of the actor but this browser's ends; returns how many."""
    ended = db.session.execute(
        update(ConsoleSession)
        .where(
            ConsoleSession.user_id == actor.user_id,
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.key_hash != digest(keep_key or ""),
        )
        .values(ended_at=utcnow())
    ).rowcount
    audit.record(
        actor, "user.other_sessions_ended", subject_type="user", subject_id=actor.user_id, details={"count": ended}
    )
    db.session.commit()
    return ended


def _expired(row: ConsoleSession, now: datetime) -> bool:
    idle = timedelta(days=REMEMBER_DAYS) if row.remember else IDLE_SESSION
    return now - row.last_seen_at > idle
