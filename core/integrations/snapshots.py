"""What integrations send: the event envelope, and current snapshots of the leads and targets it names.

Outbox events carry ids only; the envelope is enriched when it is delivered, so a retry sends the
lead as it is now (its `id` stays the event id, which receivers deduplicate on).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import db
from core.models import DirectMessage, DoNotContact, Lead, LeadTag, OutboxEvent, Target, User, Workspace

PROFILE_URLS = {
    "instagram": "https://www.instagram.com/{username}/",
    "tiktok": "https://www.tiktok.com/@{username}",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def profile_url(platform: str, username: str | None) -> str | None:
    template = PROFILE_URLS.get(platform)
    return template.format(username=username) if template and username else None


def is_erased(target_id: int | None) -> bool:
    """Whether the target's person was erased (their platform id was replaced by its do-not-contact hash)."""
    target = db.session.get(Target, target_id) if target_id is not None else None
    if target is None:
        return False
    return (
        db.session.scalar(
            select(DoNotContact.id).where(
                DoNotContact.workspace_id == target.workspace_id,
                DoNotContact.platform == target.platform,
                DoNotContact.person_hash == target.platform_user_id,
            )
        )
        is not None
    )


def target_snapshot(target: Target) -> dict[str, Any]:
    """A target as integrations see it: who, where, and how interested."""
    return {
        "id": target.id,
        "username": target.username,
        "platform": target.platform,
        "profile_url": profile_url(target.platform, target.username),
        "score": target.score,
        "reasons": list(target.score_reasons or []),
        "is_hot": target.is_hot,
        "social_account_id": target.social_account_id,
    }


def lead_snapshot(lead: Lead) -> dict[str, Any]:
    """A lead as integrations see it (Sheets row, Notion page, webhook data)."""
    target = db.session.get(Target, lead.target_id)
    owner = db.session.get(User, lead.owner_user_id) if lead.owner_user_id else None
    tags = list(db.session.scalars(select(LeadTag.tag).where(LeadTag.lead_id == lead.id).order_by(LeadTag.tag)))
    return {
        "id": lead.id,
        "status": lead.status,
        "source": lead.source,
        "score": target.score if target else None,
        "username": target.username if target else None,
        "platform": target.platform if target else None,
        "profile_url": profile_url(target.platform, target.username) if target else None,
        "target_id": lead.target_id,
        "owner_email": owner.email if owner else None,
        "tags": tags,
        "value": float(lead.estimated_value) if lead.estimated_value is not None else None,
        "notes": lead.notes,
        "created_at": _iso(lead.created_at),
        "updated_at": _iso(lead.updated_at),
    }


def _dm_snapshot(dm: DirectMessage) -> dict[str, Any]:
    return {
        "id": dm.id,
        "kind": dm.kind,
        "status": dm.status,
        "sent_at": _iso(dm.sent_at),
        "replied_at": _iso(dm.replied_at),
    }


def enrich(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The event's own data plus snapshots of what it names (missing rows become null)."""
    enriched = dict(data)
    lead_id = data.get("lead_id")
    if lead_id is not None:
        lead = db.session.get(Lead, lead_id)
        enriched["lead"] = lead_snapshot(lead) if lead else None
    target_id = data.get("target_id")
    if target_id is not None:
        target = db.session.get(Target, target_id)
        enriched["target"] = target_snapshot(target) if target else None
    dm_id = data.get("dm_id")
    if dm_id is not None:
        dm = db.session.get(DirectMessage, dm_id)
        enriched["dm"] = _dm_snapshot(dm) if dm else None
    return enriched


def workspace_ref(workspace: Workspace) -> dict[str, Any]:
    return {"id": workspace.id, "name": workspace.name, "slug": workspace.slug}


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The documented envelope: {id, type, occurred_at, workspace: {id, name, slug}, data}."""
    workspace = db.session.get(Workspace, event.workspace_id) if event.workspace_id else None
    return {
        "id": event.event_id,
        "type": event.type,
        "occurred_at": _iso(event.occurred_at),
        "workspace": workspace_ref(workspace) if workspace else None,
        "data": enrich(event.type, event.data or {}),
    }
