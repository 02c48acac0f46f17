"""Moving a DM between states: every change leaves a DmEvent saying who, from which door, and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import db, utcnow
from core.errors import NotFound
from core.i18n import _
from core.models import DirectMessage, DmEvent, DmStatus, SocialAccount, Target
from core.services.identity.access import require_role
from core.services.identity.actors import Actor
from core.services.outreach.eligibility import Route

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


def create(
    target: Target,
    account: SocialAccount,
    route: Route,
    text: str,
    *,
    status: DmStatus,
    actor: Actor,
    reason: str | None = None,
    **fields: Any,
) -> DirectMessage:
    """Add a DM to `target` by `route` with its first state and event (flushed for its id; no commit)."""
    dm = DirectMessage(
        workspace_id=target.workspace_id,
        social_account_id=account.id,
        target_id=target.id,
        kind=route.kind,
        comment_platform_id=route.comment_platform_id,
        text=text,
        status=DmStatus(status).value,
        **{"created_by_user_id": actor.user_id, **fields},
    )
    db.session.add(dm)
    db.session.flush()
    start(dm, actor, reason)
    return dm


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
        raise NotFound(_("DM not found."))
    try:
        require_role(dm.workspace_id, actor)
    except NotFound:
        raise NotFound(_("DM not found.")) from None
    return dm


def events_of(dm_id: int) -> list[DmEvent]:
    return list(db.session.scalars(select(DmEvent).where(DmEvent.dm_id == dm_id).order_by(DmEvent.id)))
