"""Reading a workspace's recent interactions again when its reader version changes (a retraining, a rollback).

Only buying intent is read again: an opt-out is never added or lifted by a re-reading (a block is lifted by a
person's "not an opt-out"), and what a person labelled keeps its label. The people whose reading changed are
rescored in the same job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from core.db import db, utcnow
from core.intent import classify_many
from core.models import Interaction, InteractionLabel, Target
from core.services.reading.versions import adjustment_for
from core.services.targets.rescore import rescore_workspace

DAYS = 30  # what scoring still weighs much; older readings matter little and would cost a long job
BATCH = 1000


def read_again(workspace_id: int, *, now: datetime | None = None) -> dict[str, int]:
    """Read the last DAYS days' interactions with the active version; rescore whose reading changed (commits)."""
    reader = adjustment_for(workspace_id)
    since = (now or utcnow()) - timedelta(days=DAYS)
    labelled = sa.select(InteractionLabel.interaction_id).where(InteractionLabel.workspace_id == workspace_id)
    read = changed = after = 0
    while True:
        rows = db.session.execute(
            sa.select(Interaction.id, Interaction.text, Interaction.has_intent, Interaction.target_id)
            .where(
                Interaction.workspace_id == workspace_id,
                Interaction.occurred_at >= since,
                Interaction.id > after,
                Interaction.text.is_not(None),
                Interaction.is_opt_out.is_(False),
                Interaction.id.not_in(labelled),
            )
            .order_by(Interaction.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        after = rows[-1].id
        read += len(rows)
        verdicts = classify_many([row.text for row in rows], reader)
        moved = [(row, v) for row, v in zip(rows, verdicts, strict=True) if v.has_intent != row.has_intent]
        if moved:
            t = Interaction.__table__
            db.session.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("b_id"))
                .values(has_intent=sa.bindparam("b_intent"), intent_reason=sa.bindparam("b_reason")),
                [
                    {"b_id": row.id, "b_intent": v.has_intent, "b_reason": v.reasons[0][:100] if v.reasons else None}
                    for row, v in moved
                ],
            )
            people = sorted({row.target_id for row, _v in moved if row.target_id})
            db.session.execute(sa.update(Target).where(Target.id.in_(people)).values(needs_rescore=True))
            changed += len(moved)
        db.session.commit()
    rescored = rescore_workspace(workspace_id, full=False).scored if changed else 0
    return {"read": read, "changed": changed, "rescored": rescored}
