"""Keys already handled (a Telegram update id, a Slack event or action id): each is handled once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.models import ChatProcessed

# Slack retries for about an hour and Telegram for a day: keys outlive both with room to spare.
KEEP = timedelta(days=3)


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ChatProcessed)


def claim(source: str, key: str) -> bool:
    """Record `key` for `source` in the open transaction (no commit); False if it was already there.

    Inside a use case's transaction the key is taken with its outcome: a rollback (a refusal) lets a
    later tap try again, and a concurrent tap waits on the row until this one commits or rolls back.
    """
    # RETURNING says whether this call inserted (an ORM insert reports no row count).
    inserted = db.session.execute(
        _insert()
        .values(source=source, key=key[:200], created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(ChatProcessed.id)
    ).first()
    return inserted is not None


def first_time(source: str, key: str) -> bool:
    """Record `key` for `source` and commit; False if it was already there (a retry or a double tap)."""
    inserted = claim(source, key)
    db.session.commit()
    return inserted


def forget(source: str, key: str) -> None:
    """Let a key be handled again (the action was refused and may be retried later)."""
    db.session.execute(delete(ChatProcessed).where(ChatProcessed.source == source, ChatProcessed.key == key[:200]))
    db.session.commit()


def purge() -> int:
    """Delete keys older than KEEP; returns how many went."""
    result = db.session.execute(delete(ChatProcessed).where(ChatProcessed.created_at < utcnow() - KEEP))
    db.session.commit()
    return result.rowcount or 0
