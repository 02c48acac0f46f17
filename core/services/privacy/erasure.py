"""Privacy: erasing a person on request, and purging raw platform payloads after the retention period.

An erased person is anonymised rather than deleted where a row keeps the system honest: the
interaction rows keep their platform ids (so collecting again never stores the old comments a
second time) and the do-not-contact list keeps a one-way hash (so nobody messages them again).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, select, update

from core import events as domain_events
from core.db import db, utcnow
from core.integrations import delivery as deliveries
from core.models import (
    AuditEntry,
    ChatMessage,
    Delivery,
    DirectMessage,
    DoNotContact,
    IdempotencyRecord,
    Integration,
    Interaction,
    Lead,
    LeadEvent,
    LeadTag,
    OutboxEvent,
    Role,
    Target,
    Workspace,
)
from core.services import audit
from core.services.identity.access import get_scoped
from core.services.identity.actors import Actor
from core.services.jobs import retention as job_retention
from core.services.privacy import contact_policy
from core.services.workspaces.settings import read as read_settings

ERASED = "erased"
ERASED_TEXT = "[erased]"
# Free-text keys an event payload may carry about a person; ids and statuses stay.
EVENT_TEXT_KEYS = {"note": None, "reasons": [], "text": None, "username": None}
# Lead timeline kinds whose old/new values are the person's data (notes, tags), not pipeline facts.
LEAD_EVENT_TEXT_KINDS = ("notes_changed", "tags_changed")
PURGE_BATCH = 5000


@dataclass
class Erasure:
    target_ids: list[int]
    interactions: int = 0
    direct_messages: int = 0
    leads: int = 0
    events: int = 0
    chat_messages: int = 0
    stored_answers: int = 0
    deliveries: int = 0
    job_runs: int = 0
    newly_blocked: bool = False
    # Per integration: what erasing there gave (reached, failed, retrying, held), without personal data.
    integrations: list[dict[str, Any]] = field(default_factory=list)


def erase_person(target_id: int, *, actor: Actor) -> Erasure:
    """Anonymise everything we hold about the person behind a target (owner/admin), audit it, keep them blocked.

    One transaction: interactions' text/author/raw, the target's name and platform id, the lead's notes and
    tags, DMs' text, stored Idempotency-Key answers, outbox event and chat message payloads, the error
    text kept on integration deliveries of those events, and the arguments of done job runs quoting them.
    The person stays on do-not-contact by hash. After the commit, a person.erased event goes to every
    integration of the workspace (webhooks get it; Sheets, Notion, HubSpot and Pipedrive remove what was
    written there), tried at once; the answer says what was reached, the rest is retried like any delivery.
    Allowed in a suspended workspace too: an erasure request is a legal duty, not new work.
    """
    target = get_scoped(Target, target_id, actor, Role.ADMIN, what="Target")
    platform, platform_user_id, workspace_id = target.platform, target.platform_user_id, target.workspace_id
    # The same person seen through another connected account of the workspace is the same person.
    people = list(
        db.session.scalars(
            select(Target)
            .where(
                Target.workspace_id == workspace_id,
                Target.platform == platform,
                Target.platform_user_id == platform_user_id,
            )
            .with_for_update()
        )
    )
    erasure = Erasure(target_ids=[t.id for t in people])
    if _already_erased(target):
        # A second request scrubs again (new data may have arrived) but must not hash the hash.
        digest = platform_user_id
    else:
        # Block first: the hash is computed from the platform id this erasure is about to replace.
        erasure.newly_blocked = contact_policy.block(target, reason="erased")
        digest = contact_policy.person_hash(workspace_id, platform, platform_user_id)
    names = {platform_user_id} | {p.username for p in people if p.username}
    lead_ids = dict(
        db.session.execute(select(Lead.target_id, Lead.id).where(Lead.target_id.in_(erasure.target_ids))).tuples().all()
    )
    for person in people:
        _erase_target(person, digest, erasure)
    if digest != platform_user_id:
        _scrub_integrations(workspace_id, sorted(names))
    # Webhook deliveries and chat updates that quoted them, kept as done job runs' arguments.
    erasure.job_runs = job_retention.blank_args_naming(workspace_id, sorted(names - {ERASED}))
    audit.record(
        actor,
        "target.personal_data_erased",
        workspace_id=workspace_id,
        subject_type="target",
        subject_id=target_id,
        details={"targets": len(people)},
    )
    erased_events = [
        domain_events.emit(
            domain_events.ERASURE_EVENT,
            workspace_id,
            {"target_id": person.id, "lead_id": lead_ids.get(person.id)},
            # After every earlier change of the lead, so nothing is written back once it was removed.
            ordering_key=f"lead:{lead_ids[person.id]}" if person.id in lead_ids else None,
        )
        for person in people
    ]
    delivery_ids = deliveries.plan_erasure(erased_events)
    db.session.commit()
    erasure.integrations = deliveries.reach(delivery_ids)
    return erasure


def _already_erased(target: Target) -> bool:
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


def _erase_target(target: Target, digest: str, erasure: Erasure) -> None:
    ids = [target.id]
    erasure.interactions += (
        db.session.execute(
            update(Interaction)
            .where(Interaction.target_id == target.id)
            .values(text=None, author_username=None, author_platform_id=None, raw=sa.null(), intent_reason=None)
        ).rowcount
        or 0
    )
    dm_ids = list(db.session.scalars(select(DirectMessage.id).where(DirectMessage.target_id == target.id)))
    if dm_ids:
        db.session.execute(
            update(DirectMessage).where(DirectMessage.id.in_(dm_ids)).values(text=ERASED_TEXT, updated_at=utcnow())
        )
    erasure.direct_messages += len(dm_ids)
    erasure.stored_answers += _scrub_stored_answers(ids, dm_ids)
    lead = db.session.scalar(select(Lead).where(Lead.target_id == target.id))
    lead_ids = []
    if lead is not None:
        lead_ids = [lead.id]
        lead.notes = None
        lead.updated_at = utcnow()
        db.session.execute(delete(LeadTag).where(LeadTag.lead_id == lead.id))
        db.session.execute(update(LeadEvent).where(LeadEvent.lead_id == lead.id).values(note=None))
        db.session.execute(
            update(LeadEvent)
            .where(LeadEvent.lead_id == lead.id, LeadEvent.kind.in_(LEAD_EVENT_TEXT_KINDS))
            .values(old_value=None, new_value=None, details={})
        )
        erasure.leads += 1
    events = _scrub_events(target.workspace_id, ids, lead_ids, dm_ids)
    erasure.events += len(events)
    erasure.deliveries += _scrub_deliveries(events)
    erasure.chat_messages += (
        db.session.execute(
            update(ChatMessage).where(ChatMessage.target_id == target.id).values(data={}, note=None)
        ).rowcount
        or 0
    )
    target.username = ERASED
    target.platform_user_id = digest
    target.score_breakdown = {}
    target.score_reasons = []


def _scrub_stored_answers(target_ids: list[int], dm_ids: list[int]) -> int:
    """Blank the DM text of stored Idempotency-Key answers about the person (the replay keeps its shape)."""
    naming = [IdempotencyRecord.response["target_id"].as_integer().in_(target_ids)]
    if dm_ids:
        naming.append(IdempotencyRecord.response["id"].as_integer().in_(dm_ids))
    records = list(db.session.scalars(select(IdempotencyRecord).where(sa.or_(*naming))))
    for record in records:
        # Target and DM ids are global, so a match is about this person whoever stored it.
        record.response = {k: (ERASED_TEXT if k == "text" and v is not None else v) for k, v in record.response.items()}
    return len(records)


def _scrub_deliveries(events: list[OutboxEvent]) -> int:
    """Drop the error text integrations answered while delivering events about the person (it may echo them)."""
    if not events:
        return 0
    return (
        db.session.execute(
            update(Delivery)
            .where(Delivery.outbox_event_id.in_([e.id for e in events]), Delivery.last_error.is_not(None))
            .values(last_error=ERASED_TEXT)
        ).rowcount
        or 0
    )


def _scrub_integrations(workspace_id: int, words: list[str]) -> None:
    """An integration disabled by a delivery about the person keeps its reason only if it does not name them."""
    words = [w for w in words if w and w != ERASED]
    if not words:
        return
    for integration in db.session.scalars(
        select(Integration).where(Integration.workspace_id == workspace_id, Integration.disabled_reason.is_not(None))
    ):
        reason = (integration.disabled_reason or "").lower()
        if any(w.lower() in reason for w in words):
            integration.disabled_reason = ERASED_TEXT


def _scrub_events(
    workspace_id: int, target_ids: list[int], lead_ids: list[int], dm_ids: list[int]
) -> list[OutboxEvent]:
    """Blank the free text of outbox events (and their audit mirrors) that name the person."""
    naming = [OutboxEvent.data["target_id"].as_integer().in_(target_ids)]
    if lead_ids:
        naming.append(OutboxEvent.data["lead_id"].as_integer().in_(lead_ids))
    if dm_ids:
        naming.append(OutboxEvent.data["dm_id"].as_integer().in_(dm_ids))
    events = list(
        db.session.scalars(select(OutboxEvent).where(OutboxEvent.workspace_id == workspace_id, sa.or_(*naming)))
    )
    for event in events:
        event.data = _scrubbed(event.data)
    event_ids = [e.event_id for e in events]
    if event_ids:
        for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "event", AuditEntry.subject_id.in_(event_ids))
        ):
            entry.details = _scrubbed(entry.details)
    return events


def _scrubbed(data: dict[str, Any] | None) -> dict[str, Any]:
    return {k: EVENT_TEXT_KEYS.get(k, v) for k, v in (data or {}).items()}


def erasure_summary(erasure: Erasure) -> dict[str, Any]:
    return asdict(erasure)


def purge_raw_payloads(now: datetime | None = None) -> dict[str, int]:
    """Null Interaction.raw older than each workspace's raw_payload_retention_days; commits per batch.

    Every workspace, suspended ones included: retention is a promise about data we hold, not new work.
    """
    now = now or utcnow()
    purged = workspaces = 0
    for workspace_id, settings in db.session.execute(select(Workspace.id, Workspace.settings)).all():
        days = read_settings(settings).raw_payload_retention_days
        purged += _purge_workspace(workspace_id, now - timedelta(days=days))
        workspaces += 1
    return {"workspaces": workspaces, "purged": purged}


def _purge_workspace(workspace_id: int, cutoff: datetime) -> int:
    total = 0
    while True:
        # Small batches keep row locks short on a table of millions of rows.
        batch = (
            select(Interaction.id)
            .where(
                Interaction.workspace_id == workspace_id,
                Interaction.received_at < cutoff,
                Interaction.raw.is_not(None),
            )
            .limit(PURGE_BATCH)
            .scalar_subquery()
        )
        done = db.session.execute(update(Interaction).where(Interaction.id.in_(batch)).values(raw=sa.null())).rowcount
        db.session.commit()
        total += done or 0
        if not done or done < PURGE_BATCH:
            return total
