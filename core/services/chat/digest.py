"""The daily digest: new hot targets, DMs sent, replies and leads moved in the last 24 hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import DirectMessage, LeadEvent, Target, Workspace
from core.services.automations import stats as automation_stats
from core.services.chat.alerts import destinations, record
from core.services.workspaces import status as workspace_status

DIGEST_HOUR = 9  # local time of the workspace


def numbers(workspace_id: int, since: datetime) -> dict[str, Any]:
    """What happened in the workspace since `since`, with a line per automation that sent or got replies."""

    def count(stmt) -> int:
        return int(db.session.scalar(stmt) or 0)

    return {
        "automations": automation_stats.since(workspace_id, since),
        "hot": count(
            select(func.count())
            .select_from(Target)
            .where(Target.workspace_id == workspace_id, Target.hot_since >= since)
        ),
        "dms_sent": count(
            select(func.count())
            .select_from(DirectMessage)
            .where(DirectMessage.workspace_id == workspace_id, DirectMessage.sent_at >= since)
        ),
        "replies": count(
            select(func.count())
            .select_from(DirectMessage)
            .where(DirectMessage.workspace_id == workspace_id, DirectMessage.replied_at >= since)
        ),
        "leads_moved": count(
            select(func.count())
            .select_from(LeadEvent)
            .where(
                LeadEvent.workspace_id == workspace_id,
                LeadEvent.kind == "status_changed",
                LeadEvent.created_at >= since,
            )
        ),
    }


def record_due(now: datetime | None = None, *, force: bool = False) -> list[int]:
    """Record today's digest for each active workspace whose local time is DIGEST_HOUR; commits.

    The day is part of the key, so running hourly (or twice) posts one digest a day per destination.
    """
    now = now or utcnow()
    made: list[int] = []
    for workspace_id in workspace_status.active_workspace_ids():
        workspace = db.session.get(Workspace, workspace_id)
        local = now.astimezone(ZoneInfo(workspace.time_zone))
        if local.hour != DIGEST_HOUR and not force:
            continue
        targets = destinations(workspace_id, "digest")
        if not targets:
            continue
        data = numbers(workspace_id, now - timedelta(hours=24))
        for destination in targets:
            # The workspace is part of the key: two workspaces may post to chats with the same id.
            key = f"digest:{workspace_id}:{local.date().isoformat()}"
            message_id = record(workspace_id, destination, "digest", key, data=data)
            if message_id is not None:
                made.append(message_id)
    db.session.commit()
    return made
