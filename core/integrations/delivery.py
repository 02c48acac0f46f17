"""From the outbox to the outside: dispatch events into deliveries, attempt them, retry, give up visibly.

- dispatch_pending: pending outbox events (oldest first) become one delivery per enabled integration
  of the workspace subscribed to the event type (unique per integration+event, so a second
  dispatcher or a re-run adds nothing), then the new deliveries are queued.
- attempt: one try of one delivery. It waits while an earlier delivery with the same ordering key
  (e.g. "lead:12") is unfinished, so a lead's changes arrive in order. Failures are retried with
  exponential backoff and jitter (MAX_ATTEMPTS over about a day), then the delivery is `failed`,
  visible and replayable.
- sweep (every minute): dispatches anything a crash left behind, frees stale leases, queues due retries.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from core import job_names, jobs
from core.db import db, utcnow
from core.errors import Forbidden, Unavailable
from core.events import ERASURE_EVENT
from core.integrations import google_sheets, hubspot, notion, pipedrive, snapshots, webhook
from core.integrations.base import DeliveryError, Outcome
from core.models import Delivery, DeliveryStatus, Integration, IntegrationKind, OutboxEvent, Workspace
from core.services import audit
from core.services.identity.actors import Actor

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Seconds to wait after attempt n (1-based) fails: 1 min ... 14 h, about 23 h in all.
BACKOFF = [60, 300, 900, 3600, 7200, 21600, 50400]
JITTER = 0.2
LEASE = timedelta(minutes=10)
DISPATCH_BATCH = 200
SWEEP_LIMIT = 500
DELIVER_JOB = job_names.DELIVER_INTEGRATION
# Any 64-bit number of our own: one dispatcher at a time keeps deliveries in event order.
DISPATCH_LOCK = 0x56466C6F77_08
UNFINISHED = (DeliveryStatus.PENDING.value, DeliveryStatus.IN_PROGRESS.value)
AUDIT_ACTOR = Actor.system("integrations")
# Lead writers by kind: sync a lead snapshot, and erase what was written for a lead.
LEAD_WRITERS = {
    IntegrationKind.GOOGLE_SHEETS.value: google_sheets,
    IntegrationKind.NOTION.value: notion,
    IntegrationKind.HUBSPOT.value: hubspot,
    IntegrationKind.PIPEDRIVE.value: pipedrive,
}


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def backoff_seconds(attempts: int) -> float:
    """How long to wait after `attempts` failed tries, with +/-20% jitter so retries do not stampede."""
    base = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def _enqueue(delivery_id: int, workspace_id: int) -> None:
    try:
        jobs.enqueue(
            DELIVER_JOB, delivery_id, kind="integration-delivery", queue=jobs.QUEUE_DEFAULT, workspace_id=workspace_id
        )
    except (Forbidden, Unavailable) as exc:
        # Suspended workspace or no queue right now: the delivery stays pending for the sweep.
        log.info("delivery %s not queued now: %s", delivery_id, exc)


# ------------------------------------------------------------------ dispatch


def _insert(rows: list[dict[str, Any]]) -> list[int]:
    insert = pg_insert if _postgres() else sqlite_insert
    stmt = (
        insert(Delivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["integration_id", "outbox_event_id"])
        .returning(Delivery.id, Delivery.workspace_id)
    )
    return [(row.id, row.workspace_id) for row in db.session.execute(stmt)]


def dispatch_pending() -> dict[str, int]:
    """Turn every pending outbox event into deliveries, commit, then queue them; returns counts."""
    events_done, queued = 0, []
    while True:
        if _postgres():
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DISPATCH_LOCK})
        stmt = select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).order_by(OutboxEvent.id)
        stmt = stmt.limit(DISPATCH_BATCH)
        if _postgres():
            stmt = stmt.with_for_update(skip_locked=True)
        events = list(db.session.scalars(stmt))
        if not events:
            db.session.commit()
            break
        workspace_ids = {e.workspace_id for e in events if e.workspace_id is not None}
        subscribers: dict[int, list[Integration]] = {}
        if workspace_ids:
            for integration in db.session.scalars(
                select(Integration).where(Integration.workspace_id.in_(workspace_ids)).order_by(Integration.id)
            ):
                subscribers.setdefault(integration.workspace_id, []).append(integration)
        now = utcnow()
        rows = []
        for event in events:
            for integration in subscribers.get(event.workspace_id, []):
                if event.type == ERASURE_EVENT or (integration.enabled and event.type in (integration.events or [])):
                    rows.append(
                        {
                            "integration_id": integration.id,
                            "outbox_event_id": event.id,
                            "workspace_id": event.workspace_id,
                            "event_type": event.type,
                            "ordering_key": event.ordering_key,
                            "status": DeliveryStatus.PENDING.value,
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
            event.dispatched_at = now
        if rows:
            queued.extend(_insert(rows))
        events_done += len(events)
        db.session.commit()
        if len(events) < DISPATCH_BATCH:
            break
    for delivery_id, workspace_id in queued:
        _enqueue(delivery_id, workspace_id)
    return {"events": events_done, "deliveries": len(queued)}


# ------------------------------------------------------------------ one attempt


def _earlier_unfinished(delivery: Delivery) -> int | None:
    if delivery.ordering_key is None:
        return None
    return db.session.scalar(
        select(Delivery.id)
        .where(
            Delivery.integration_id == delivery.integration_id,
            Delivery.ordering_key == delivery.ordering_key,
            Delivery.outbox_event_id < delivery.outbox_event_id,
            Delivery.status.in_(UNFINISHED),
        )
        .limit(1)
    )


def send(integration: Integration, event: OutboxEvent) -> Outcome:
    """Deliver one event to one integration now; DeliveryError when it did not go through."""
    payload = snapshots.envelope(event)
    if integration.kind == IntegrationKind.WEBHOOK.value:
        return webhook.send(integration, payload)
    writer = LEAD_WRITERS.get(integration.kind)
    if writer is None:
        raise DeliveryError(f"Unknown integration kind {integration.kind!r}.")
    if event.type == ERASURE_EVENT:
        lead_id = (event.data or {}).get("lead_id")
        if lead_id is None:
            return Outcome(detail="They had no lead; nothing was written there.")
        return writer.erase_lead(integration, lead_id)
    lead = payload["data"].get("lead")
    if lead is None:
        return Outcome(detail="The lead no longer exists; nothing to write.")
    if snapshots.is_erased(lead["target_id"]):
        return Outcome(detail="The person was erased; nothing is written about them.")
    return writer.sync_lead(integration, lead)


def _audit_erasure(delivery: Delivery, integration: Integration, detail: str | None) -> None:
    # What erasure reached and what failed, per integration, without a word about the person.
    reached = delivery.status == DeliveryStatus.SUCCEEDED.value
    audit.record(
        AUDIT_ACTOR,
        "integration.erasure_reached" if reached else "integration.erasure_failed",
        workspace_id=delivery.workspace_id,
        subject_type="integration",
        subject_id=integration.id,
        details={
            "delivery_id": delivery.id,
            "kind": integration.kind,
            "attempts": delivery.attempts,
            "status": delivery.status,
            "detail": detail if reached else delivery.last_error,
        },
    )


def _record_failure(delivery: Delivery, integration: Integration, exc: DeliveryError) -> None:
    now = utcnow()
    delivery.last_error = exc.message
    delivery.response_code = exc.response_code
    if exc.disable:
        integration.enabled = False
        integration.disabled_reason = exc.message[:500]
        delivery.status = DeliveryStatus.FAILED.value
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED.value
        delivery.next_attempt_at = None
    else:
        delay = exc.retry_after if exc.retry_after is not None else backoff_seconds(delivery.attempts)
        delivery.status = DeliveryStatus.PENDING.value
        delivery.next_attempt_at = now + timedelta(seconds=delay)


def attempt(delivery_id: int) -> dict[str, Any]:
    """Try one due delivery once (a no-op when it is not due, busy, or waiting for an earlier one)."""
    stmt = select(Delivery).where(Delivery.id == delivery_id)
    delivery = db.session.scalar(stmt.with_for_update(skip_locked=True) if _postgres() else stmt)
    skip = None
    if delivery is None:
        skip = "missing or being attempted"
    elif delivery.status != DeliveryStatus.PENDING.value:
        skip = delivery.status
    elif delivery.next_attempt_at is not None and delivery.next_attempt_at > utcnow():
        skip = "not due yet"
    integration = db.session.get(Integration, delivery.integration_id) if skip is None else None
    if integration is not None and not integration.enabled:
        skip = "integration disabled"
    if skip is None and (earlier := _earlier_unfinished(delivery)) is not None:
        skip = f"waiting for delivery {earlier}"
    if skip is not None:
        db.session.commit()
        return {"skipped": skip}

    # A lease: committed before calling out, so a second worker leaves it alone.
    delivery.status = DeliveryStatus.IN_PROGRESS.value
    delivery.attempts += 1
    delivery.updated_at = utcnow()
    db.session.commit()

    outcome = None
    try:
        outcome = send(integration, db.session.get(OutboxEvent, delivery.outbox_event_id))
    except DeliveryError as exc:
        _record_failure(delivery, integration, exc)
    except Exception as exc:  # a bug or a database error must not leave the lease hanging
        log.exception("delivery %s failed unexpectedly", delivery_id)
        db.session.rollback()
        delivery = db.session.get(Delivery, delivery_id)
        integration = db.session.get(Integration, delivery.integration_id)
        _record_failure(delivery, integration, DeliveryError(f"Internal error: {type(exc).__name__}"))
    else:
        delivery.status = DeliveryStatus.SUCCEEDED.value
        delivery.delivered_at = utcnow()
        delivery.response_code = outcome.response_code
        delivery.last_error = None
        delivery.next_attempt_at = None
    if delivery.event_type == ERASURE_EVENT:
        _audit_erasure(delivery, integration, outcome.detail if outcome else None)
    result = {"delivery": delivery.id, "status": delivery.status, "attempts": delivery.attempts}
    if outcome is not None and outcome.detail:
        result["detail"] = outcome.detail
    finished = delivery.status != DeliveryStatus.PENDING.value
    key, integration_id, event_id = delivery.ordering_key, delivery.integration_id, delivery.outbox_event_id
    db.session.commit()
    if finished and key is not None:
        _queue_next_in_line(integration_id, key, event_id)
    return result


def _queue_next_in_line(integration_id: int, key: str, after_event_id: int) -> None:
    row = db.session.execute(
        select(Delivery.id, Delivery.workspace_id, Delivery.next_attempt_at)
        .where(
            Delivery.integration_id == integration_id,
            Delivery.ordering_key == key,
            Delivery.outbox_event_id > after_event_id,
            Delivery.status == DeliveryStatus.PENDING.value,
        )
        .order_by(Delivery.outbox_event_id)
        .limit(1)
    ).first()
    if row is not None and (row.next_attempt_at is None or row.next_attempt_at <= utcnow()):
        _enqueue(row.id, row.workspace_id)


# ------------------------------------------------------------------ sweep


def sweep() -> dict[str, int]:
    """Dispatch missed events, free stale leases, and queue every due delivery that is next in line."""
    dispatched = dispatch_pending()
    now = utcnow()
    reclaimed = (
        db.session.execute(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.IN_PROGRESS.value, Delivery.updated_at < now - LEASE)
            .values(
                status=DeliveryStatus.PENDING.value,
                next_attempt_at=now,
                updated_at=now,
                last_error="The attempt did not finish (worker stopped); trying again.",
            )
        ).rowcount
        or 0
    )
    db.session.commit()
    queued = queue_due()
    return {**{f"dispatched_{k}": v for k, v in dispatched.items()}, "reclaimed": reclaimed, "queued": queued}


def queue_due(integration_id: int | None = None) -> int:
    """Queue every due pending delivery that is next in line (of one integration, or all); returns how many."""
    now = utcnow()
    earlier = aliased(Delivery)
    blocked = exists().where(
        earlier.integration_id == Delivery.integration_id,
        earlier.ordering_key == Delivery.ordering_key,
        earlier.outbox_event_id < Delivery.outbox_event_id,
        earlier.status.in_(UNFINISHED),
    )
    stmt = (
        select(Delivery.id, Delivery.workspace_id)
        .join(Integration, Integration.id == Delivery.integration_id)
        .join(Workspace, Workspace.id == Delivery.workspace_id)
        .where(
            Delivery.status == DeliveryStatus.PENDING.value,
            Delivery.next_attempt_at <= now,
            Integration.enabled.is_(True),
            Workspace.suspended_at.is_(None),
            ~and_(Delivery.ordering_key.is_not(None), blocked),
        )
        .order_by(Delivery.outbox_event_id)
        .limit(SWEEP_LIMIT)
    )
    if integration_id is not None:
        stmt = stmt.where(Delivery.integration_id == integration_id)
    due = db.session.execute(stmt).all()
    db.session.commit()
    for delivery_id, workspace_id in due:
        _enqueue(delivery_id, workspace_id)
    return len(due)


def test_envelope(integration: Integration) -> dict[str, Any]:
    """A sample envelope for the console's "send test" button (type integration.test)."""
    workspace = db.session.get(Workspace, integration.workspace_id)
    return {
        "id": f"test_{uuid.uuid4()}",
        "type": "integration.test",
        "occurred_at": snapshots._iso(utcnow()),
        "workspace": snapshots.workspace_ref(workspace),
        "data": {"integration_id": integration.id, "message": "A test event from VistaFlow."},
    }


# ------------------------------------------------------------------ erasure


def plan_erasure(events: list[OutboxEvent]) -> list[int]:
    """Deliveries of person.erased events to every integration of their workspace, in the caller's transaction.

    Dispatched here rather than by the dispatcher so the erasure can try them right after its commit and
    say what was reached; disabled integrations get theirs too, held until they are enabled again.
    """
    db.session.flush()
    rows = []
    now = utcnow()
    for event in events:
        for integration_id in db.session.scalars(
            select(Integration.id).where(Integration.workspace_id == event.workspace_id).order_by(Integration.id)
        ):
            rows.append(
                {
                    "integration_id": integration_id,
                    "outbox_event_id": event.id,
                    "workspace_id": event.workspace_id,
                    "event_type": event.type,
                    "ordering_key": event.ordering_key,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        event.dispatched_at = now
    return [delivery_id for delivery_id, _ in _insert(rows)] if rows else []


def reach(delivery_ids: list[int]) -> list[dict[str, Any]]:
    """Attempt these deliveries now and say, per integration, whether it was reached, failed, retries or is held."""
    answers = []
    for delivery_id in delivery_ids:
        result = attempt(delivery_id)
        delivery = db.session.get(Delivery, delivery_id)
        integration = db.session.get(Integration, delivery.integration_id)
        if delivery.status == DeliveryStatus.SUCCEEDED.value:
            status, detail = "reached", result.get("detail")
        elif delivery.status == DeliveryStatus.FAILED.value:
            status, detail = "failed", delivery.last_error
        elif not integration.enabled:
            status, detail = "held", "The integration is disabled; it is reached once enabled again."
        else:
            status, detail = "retrying", delivery.last_error or result.get("skipped")
        answers.append(
            {
                "integration_id": integration.id,
                "kind": integration.kind,
                "name": integration.name,
                "delivery_id": delivery.id,
                "status": status,
                "detail": detail,
            }
        )
    db.session.commit()
    return answers
