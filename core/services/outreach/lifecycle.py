"""Moving a DM between states: every change leaves a DmEvent saying who, from which door, and why."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db, utcnow
from core.errors import NotFound
from core.models import DirectMessage, DmEvent, DmStatus
from core.services.access import require_role
from core.services.actors import Actor

SYSTEM = Actor.system("outreach")
# States a person may still act on; the others are final or belong to a send in flight.
OPEN = (DmStatus.DRAFT.value, DmStatus.APPROVED.value)


def move(dm: DirectMessage, to: DmStatus | str, actor: Actor, reason: str | None = None) -> DmEvent:
    """Change `dm`'s status and record the event (no commit)."""
    to = DmStatus(to).value
    event = DmEvent(
        dm_id=dm.id,
        from_status=dm.status,
        to_status=to,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        door=actor.door.value,
        reason=reason[:500] if reason else None,
        created_at=utcnow(),
    )
    dm.status = to
    dm.status_reason = reason[:500] if reason else None
    dm.updated_at = utcnow()
    db.session.add(event)
    return event


def start(dm: DirectMessage, actor: Actor, reason: str | None = None) -> DmEvent:
    """Record a new DM's first state (flush first so it has an id; no commit)."""
    event = DmEvent(
        dm_id=dm.id,
        from_status=None,
        to_status=dm.status,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        door=actor.door.value,
        reason=reason,
        created_at=utcnow(),
    )
    db.session.add(event)
    return event


def load(dm_id: int, actor: Actor, *, for_update: bool = False, workspace_id: int | None = None) -> DirectMessage:
    """A DM of the actor's workspaces (of `workspace_id` when given), optionally row-locked; NotFound otherwise."""
    stmt = select(DirectMessage).where(DirectMessage.id == dm_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    dm = db.session.scalar(stmt)
    if dm is None or (workspace_id is not None and dm.workspace_id != workspace_id):
        raise NotFound("DM not found.")
    try:
        require_role(dm.workspace_id, actor)
    except NotFound:
        raise NotFound("DM not found.") from None
    return dm


def events_of(dm_id: int) -> list[DmEvent]:
    return list(db.session.scalars(select(DmEvent).where(DmEvent.dm_id == dm_id).order_by(DmEvent.id)))
