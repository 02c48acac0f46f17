"""Writing to the audit log (in the caller's transaction)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from core.db import db, utcnow
from core.models import AuditEntry
from core.services.identity.actors import Actor


def record(
    actor: Actor,
    action: str,
    *,
    workspace_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction; the caller commits."""
    entry = AuditEntry(
        workspace_id=workspace_id,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        door=actor.door.value,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=details or {},
    )
    db.session.add(entry)
    return entry


def purge_older_than(days: int) -> int:
    """Delete audit entries older than `days`; returns how many went."""
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(delete(AuditEntry).where(AuditEntry.created_at < cutoff))
    db.session.commit()
    return result.rowcount or 0
