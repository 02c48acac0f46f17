"""A lead's timeline: its own events, the person's DMs and their interactions, merged in time order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import db
from core.models import DirectMessage, Interaction, Lead, LeadEvent
from core.services.identity.actors import Actor
from core.services.leads.changes import get

# The latest N of each kind; a lead's own history is short, a chatty person's interactions are not.
MAX_PER_KIND = 200


@dataclass
class TimelineEntry:
    at: datetime
    type: str  # lead_event | dm | interaction
    kind: str
    summary: str
    old_value: str | None = None
    new_value: str | None = None
    note: str | None = None
    actor: str | None = None
    door: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _lead_events(lead: Lead) -> list[TimelineEntry]:
    rows = db.session.scalars(
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead.id)
        .order_by(LeadEvent.created_at.desc(), LeadEvent.id.desc())
        .limit(MAX_PER_KIND)
    )
    return [
        TimelineEntry(
            at=e.created_at,
            type="lead_event",
            kind=e.kind,
            summary=_summary(e),
            old_value=e.old_value,
            new_value=e.new_value,
            note=e.note,
            actor=e.actor_label,
            door=e.door,
            details=dict(e.details or {}),
        )
        for e in rows
    ]


def _summary(event: LeadEvent) -> str:
    what = event.kind.replace("_changed", "").replace("_", " ")
    if event.kind == "created":
        return f"Lead created ({(event.details or {}).get('source', 'manual')})"
    if event.kind == "status_changed":
        return f"Status {event.old_value} → {event.new_value}"
    if event.new_value is None:
        return f"{what.capitalize()} cleared"
    return f"{what.capitalize()} changed"


def dm_history(lead_id: int, *, actor: Actor, workspace_id: int | None = None) -> list[DirectMessage]:
    """The DMs to the lead's person, newest first (NotFound if the lead is not the actor's)."""
    return _dm_rows(get(lead_id, actor=actor, workspace_id=workspace_id).target_id)


def _dm_rows(target_id: int) -> list[DirectMessage]:
    return list(
        db.session.scalars(
            select(DirectMessage)
            .where(DirectMessage.target_id == target_id)
            .order_by(DirectMessage.created_at.desc(), DirectMessage.id.desc())
            .limit(MAX_PER_KIND)
        )
    )


def _dms(target_id: int) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=dm.sent_at or dm.created_at,
            type="dm",
            kind=dm.status,
            summary=f"DM ({dm.kind.replace('_', ' ')}) {dm.status}",
            new_value=dm.text,
            note=dm.status_reason,
            door=dm.approved_via,
            details={"dm_id": dm.id, "replied_at": dm.replied_at.isoformat() if dm.replied_at else None},
        )
        for dm in _dm_rows(target_id)
    ]


def _interactions(target_id: int) -> list[TimelineEntry]:
    rows = db.session.scalars(
        select(Interaction)
        .where(Interaction.target_id == target_id, Interaction.is_hidden.is_(False))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(MAX_PER_KIND)
    )
    return [
        TimelineEntry(
            at=i.occurred_at,
            type="interaction",
            kind=i.kind,
            summary=f"{i.kind.replace('_', ' ').capitalize()} on {i.platform}",
            new_value=i.text,
            details={"interaction_id": i.id, "has_intent": i.has_intent, "permalink": i.media_permalink},
        )
        for i in rows
    ]


def timeline(lead_id: int, *, actor: Actor) -> list[TimelineEntry]:
    """Everything that happened with the lead and the person, oldest first."""
    lead = get(lead_id, actor=actor)
    entries = _lead_events(lead) + _dms(lead.target_id) + _interactions(lead.target_id)
    order = {"interaction": 0, "dm": 1, "lead_event": 2}
    return sorted(entries, key=lambda e: (e.at, order[e.type]))
