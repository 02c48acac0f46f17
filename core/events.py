"""Domain events, written to the outbox in the caller's transaction (so a crash never loses one).

Integrations and bots consume them: a dispatcher job turns each pending event into deliveries.
Events: lead.created, lead.status_changed, target.hot, dm.sent, dm.replied, account.needs_reconnect,
person.erased.
"""

from __future__ import annotations

import uuid
from typing import Any

from core.db import db, utcnow
from core.models import OutboxEvent
from core.services import audit
from core.services.identity.actors import Actor

EVENT_ACTOR = Actor.system("events")
EVENT_TYPES = (
    "lead.created",
    "lead.status_changed",
    "target.hot",
    "dm.sent",
    "dm.replied",
    "account.needs_reconnect",
    "person.erased",
)
# Sent to every integration of the workspace, subscribed or not, enabled or not (held until re-enabled):
# each may hold what VistaFlow wrote about the person.
ERASURE_EVENT = "person.erased"


def emit(
    event_type: str, workspace_id: int | None, data: dict[str, Any], *, ordering_key: str | None = None
) -> OutboxEvent:
    """Add `event_type` to the outbox in the current transaction; the caller commits."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = OutboxEvent(
        event_id=str(uuid.uuid4()),
        workspace_id=workspace_id,
        type=event_type,
        ordering_key=ordering_key,
        data=dict(data),
        occurred_at=utcnow(),
    )
    db.session.add(event)
    # Also visible in the audit log, where operators look first.
    audit.record(
        EVENT_ACTOR,
        event_type,
        workspace_id=workspace_id,
        subject_type="event",
        subject_id=event.event_id,
        details=dict(data),
    )
    return event
