"""Turning targets into leads in bulk: one INSERT ... ON CONFLICT (target_id) DO NOTHING per batch.

Used by the rescore (targets that become hot, when the workspace enables auto_lead_from_hot) and by
leads.create (a lead made by a person, from any door); a target never gets two leads, whatever races.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from core import events
from core.db import UTCDateTime, db, utcnow
from core.models import LeadEvent, LeadSource, LeadStatus
from core.services.identity.actors import Actor

INSERT_LEADS = """
INSERT INTO leads (workspace_id, target_id, status, source, created_at, updated_at)
SELECT t.workspace_id, t.id, :status, :source, :now, :now
FROM targets t
WHERE t.workspace_id = :ws AND t.id IN :ids
ORDER BY t.id
ON CONFLICT (target_id) DO NOTHING
RETURNING id, target_id
"""

INSERT_EVENTS = """
INSERT INTO lead_events (lead_id, workspace_id, kind, new_value, actor_user_id, actor_label, door, details, created_at)
SELECT l.id, l.workspace_id, 'created', l.status, :user_id, :label, :door, :details, :now
FROM leads l WHERE l.id IN :ids
"""


def create_leads(workspace_id: int, target_ids: Sequence[int], *, actor: Actor, source: str) -> list[tuple[int, int]]:
    """Create a `new` lead for each target that has none, with its timeline line and lead.created
    event (no commit). Returns (lead_id, target_id) of the leads really created."""
    if not target_ids:
        return []
    now = utcnow()
    insert = sa.text(INSERT_LEADS).bindparams(
        sa.bindparam("ids", expanding=True), sa.bindparam("now", type_=UTCDateTime())
    )
    created = [
        (row.id, row.target_id)
        for row in db.session.execute(
            insert,
            {
                "ws": workspace_id,
                "ids": sorted(set(target_ids)),
                "status": LeadStatus.NEW.value,
                "source": source,
                "now": now,
            },
        )
    ]
    if not created:
        return []
    details = sa.bindparam("details", type_=LeadEvent.__table__.c.details.type)
    db.session.execute(
        sa.text(INSERT_EVENTS).bindparams(
            sa.bindparam("ids", expanding=True), sa.bindparam("now", type_=UTCDateTime()), details
        ),
        {
            "ids": [lead_id for lead_id, _ in created],
            "user_id": actor.user_id,
            "label": actor.label,
            "door": actor.door.value,
            "details": {"source": source},
            "now": now,
        },
    )
    for lead_id, target_id in created:
        events.emit(
            "lead.created",
            workspace_id,
            {"lead_id": lead_id, "target_id": target_id, "status": LeadStatus.NEW.value, "source": source},
            ordering_key=f"lead:{lead_id}",
        )
    return created


def auto_leads_from_hot(workspace_id: int, target_ids: Sequence[int]) -> list[tuple[int, int]]:
    """Leads for targets that just became hot (the rescore calls this when the setting is on)."""
    return create_leads(workspace_id, target_ids, actor=Actor.system("scoring"), source=LeadSource.AUTO_HOT.value)
