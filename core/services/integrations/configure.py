"""Integrations of a workspace: add, change, enable/disable, remove, test, and their delivery log.

Members read; owners and admins change. Credentials arrive inside `config` (service_account for
Google Sheets, token for Notion, HubSpot and Pipedrive) and are split off, encrypted and never
returned; a webhook's signing secret is generated here and handed back once, by `create`.
Saving a CRM's settings checks its token, creates the fields VistaFlow writes and lists its pipelines.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from core import jobs
from core.db import db, utcnow
from core.errors import Conflict, Invalid, NotFound
from core.events import ERASURE_EVENT, EVENT_TYPES
from core.i18n import _
from core.integrations import crm, google_sheets, hubspot, notion, pipedrive, webhook
from core.integrations import delivery as deliveries
from core.integrations.base import DeliveryError, Outcome
from core.models import (
    Delivery,
    DeliveryStatus,
    ExternalRecord,
    Integration,
    IntegrationKind,
    Lead,
    OutboxEvent,
    Role,
    Workspace,
)
from core.pagination import Page, paginate
from core.services import audit
from core.services.identity.access import get_scoped, membership_of, require_active, require_role
from core.services.identity.actors import Actor
from core.validation import clean_name

log = logging.getLogger(__name__)

UNSET: Any = object()
LEAD_EVENTS = ("lead.created", "lead.status_changed")
# person.erased is not subscribed to: every integration gets it (see core.events).
KIND_EVENTS = {
    IntegrationKind.WEBHOOK.value: tuple(e for e in EVENT_TYPES if e != ERASURE_EVENT),
    IntegrationKind.GOOGLE_SHEETS.value: LEAD_EVENTS,
    IntegrationKind.NOTION.value: LEAD_EVENTS,
    IntegrationKind.HUBSPOT.value: LEAD_EVENTS,
    IntegrationKind.PIPEDRIVE.value: LEAD_EVENTS,
}
KIND_LABELS = {
    "webhook": "Webhook",
    "google_sheets": "Google Sheets",
    "notion": "Notion",
    "hubspot": "HubSpot",
    "pipedrive": "Pipedrive",
}
CRMS = {IntegrationKind.HUBSPOT.value: hubspot, IntegrationKind.PIPEDRIVE.value: pipedrive}
MAX_PER_WORKSPACE = 50


def clean_kind(kind: Any) -> str:
    if kind not in KIND_EVENTS:
        raise Invalid(
            _("Unknown integration kind."), fields={"kind": _("One of %(kinds)s.", kinds=", ".join(KIND_EVENTS))}
        )
    return kind


def clean_events(kind: str, events: Any) -> list[str]:
    """The subscribed event types, in the documented order; Sheets and Notion take lead.* only."""
    allowed = KIND_EVENTS[kind]
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise Invalid(_("Choose at least one event."), fields={"events": "One or more of: " + ", ".join(allowed) + "."})
    unknown = [e for e in events if e not in allowed]
    if unknown:
        raise Invalid(
            _("Some events cannot be sent by this integration."),
            fields={"events": _("%(unknown)s is not one of: %(value)s.", unknown=unknown[0], value=", ".join(allowed))},
        )
    return [e for e in allowed if e in events]


def _clean_config(kind: str, config: Any, *, current: Integration | None) -> tuple[dict, str | None, dict | None]:
    """(non-secret config, new secret or None to keep, new state or None to keep) for `kind`."""
    if not isinstance(config, dict):
        raise Invalid(_("The settings must be an object."), fields={"config": _("Expected an object.")})
    if kind == IntegrationKind.WEBHOOK.value:
        return webhook.clean_config(config), (webhook.new_secret() if current is None else None), None
    if kind == IntegrationKind.GOOGLE_SHEETS.value:
        cleaned = google_sheets.clean_config(config)
        secret = None
        if "service_account" in config or current is None:
            secret = json.dumps(google_sheets.parse_service_account(config.get("service_account")))
        moved = current is None or cleaned != current.config
        return cleaned, secret, ({"header_written": False} if moved else None)
    if kind in CRMS:
        return _clean_crm_config(kind, config, current=current)
    cleaned = notion.clean_config(config)
    token = notion.clean_token(config.get("token")) if ("token" in config or current is None) else None
    check_token = token or (current.decrypted_secret() if current else None) or ""
    state = notion.inspect_database(check_token, cleaned["database_id"])
    return cleaned, token, state


def _clean_crm_config(kind: str, config: dict, *, current: Integration | None) -> tuple[dict, str | None, dict]:
    """Check the CRM token, prepare its fields and validate the pipeline and stage mapping."""
    module = CRMS[kind]
    settings = module.clean_config(config)
    token = crm.clean_token(config.get("token"), module.VENDOR) if ("token" in config or current is None) else None
    if current is not None:
        base = dict(current.config or {})
        if "pipeline_id" in settings and str(settings["pipeline_id"]) != str(base.get("pipeline_id")):
            base.pop("stage_map", None)  # another pipeline's stages: start from its default mapping
        settings = {**base, **settings}
    check_token = token or (current.decrypted_secret() if current else None) or ""
    cleaned, state = module.setup(check_token, settings)
    return cleaned, token, state


def pipelines_of(integration_id: int, *, actor: Actor) -> dict[str, Any]:
    """A CRM integration's pipelines and stages (as listed when its settings were last saved) and its mapping."""
    integration = get(integration_id, actor=actor)
    if integration.kind not in CRMS:
        raise Invalid(
            _("Only HubSpot and Pipedrive integrations have pipelines."), fields={"integration_id": _("Not a CRM.")}
        )
    return {
        "pipelines": list((integration.state or {}).get("pipelines") or []),
        "create_deals": bool(integration.config.get("create_deals")),
        "pipeline_id": integration.config.get("pipeline_id"),
        "stage_map": dict(integration.config.get("stage_map") or {}),
    }


def lead_links(lead_id: int, *, actor: Actor) -> list[dict[str, Any]]:
    """Where the lead lives in the workspace's CRMs: one link per contact, person or deal created for it."""
    lead = get_scoped(Lead, lead_id, actor, Role.MEMBER, what="Lead")
    prefix = f"lead:{lead.id}:"
    rows = db.session.execute(
        select(Integration, ExternalRecord)
        .join(ExternalRecord, ExternalRecord.integration_id == Integration.id)
        .where(
            Integration.workspace_id == lead.workspace_id,
            Integration.kind.in_(list(CRMS)),
            ExternalRecord.subject_key.startswith(prefix),
        )
        .order_by(Integration.id, ExternalRecord.id)
    ).all()
    by_integration: dict[int, tuple[Integration, dict[str, str]]] = {}
    for integration, record in rows:
        by_integration.setdefault(integration.id, (integration, {}))[1][record.subject_key.removeprefix(prefix)] = (
            record.external_id
        )
    links = []
    for integration, records in by_integration.values():
        for link in CRMS[integration.kind].links(integration, records):
            links.append({**link, "integration_id": integration.id, "integration": integration.name})
    return links


def _for_audit(kind: str, cleaned: dict[str, Any]) -> dict[str, Any]:
    # A webhook URL may itself be the credential (Slack/Zapier put a secret in the path): audit the origin.
    if kind == IntegrationKind.WEBHOOK.value:
        return {"url_origin": webhook.url_origin(cleaned.get("url", ""))}
    return cleaned


def shown_config(integration: Integration, actor: Actor) -> dict[str, Any]:
    """The settings as this actor may see them: a webhook's full URL for owners/admins, its origin for members."""
    config = dict(integration.config or {})
    if integration.kind != IntegrationKind.WEBHOOK.value or actor.is_system:
        return config
    membership = membership_of(integration.workspace_id, actor)
    if membership is not None and Role(membership.role).at_least(Role.ADMIN):
        return config
    return webhook.masked_config(config)


def page_for(workspace_id: int, *, actor: Actor, cursor: str | None = None, limit: int | None = None) -> Page:
    """A page of the workspace's integrations, oldest first."""
    require_role(workspace_id, actor, Role.MEMBER)
    stmt = select(Integration).where(Integration.workspace_id == workspace_id)
    return paginate(stmt, [Integration.id], cursor=cursor, limit=limit)


def get(integration_id: int, *, actor: Actor, workspace_id: int | None = None) -> Integration:
    """One integration of a workspace the actor belongs to (NotFound otherwise)."""
    return get_scoped(Integration, integration_id, actor, Role.MEMBER, what="Integration", workspace_id=workspace_id)


def _manageable(integration_id: int, actor: Actor, workspace_id: int | None = None) -> Integration:
    integration = get_scoped(
        Integration, integration_id, actor, Role.ADMIN, what="Integration", workspace_id=workspace_id
    )
    require_active(db.session.get(Workspace, integration.workspace_id))
    return integration


def create(
    workspace_id: int, *, actor: Actor, kind: Any, name: Any, config: Any, events: Any
) -> tuple[Integration, str | None]:
    """Add an integration (owner/admin); returns it and, for a webhook, its signing secret (shown once)."""
    require_active(require_role(workspace_id, actor, Role.ADMIN))
    kind = clean_kind(kind)
    name = clean_name(name if isinstance(name, str) else "", "name")
    events = clean_events(kind, events)
    cleaned, secret, state = _clean_config(kind, config, current=None)
    count = len(db.session.scalars(select(Integration.id).where(Integration.workspace_id == workspace_id)).all())
    if count >= MAX_PER_WORKSPACE:
        raise Conflict(
            _("A workspace can have at most %(max_per_workspace)s integrations.", max_per_workspace=MAX_PER_WORKSPACE)
        )
    integration = Integration(
        workspace_id=workspace_id,
        kind=kind,
        name=name,
        config=cleaned,
        events=events,
        enabled=True,
        state=state or {},
        created_by_user_id=actor.user_id,
    )
    db.session.add(integration)
    db.session.flush()
    if secret is not None:
        integration.store_secret(secret)
    audit.record(
        actor,
        "integration.created",
        workspace_id=workspace_id,
        subject_type="integration",
        subject_id=integration.id,
        details={"kind": kind, "name": name, "events": events, **_for_audit(kind, cleaned)},
    )
    db.session.commit()
    return integration, (secret if kind == IntegrationKind.WEBHOOK.value else None)


def update(
    integration_id: int,
    *,
    actor: Actor,
    name: Any = UNSET,
    config: Any = UNSET,
    events: Any = UNSET,
    enabled: Any = UNSET,
    workspace_id: int | None = None,
) -> Integration:
    """Rename, change settings or credentials, change events, enable or disable (owner/admin)."""
    integration = _manageable(integration_id, actor, workspace_id)
    changed: dict[str, Any] = {}
    if name is not UNSET and name is not None:
        integration.name = clean_name(name if isinstance(name, str) else "", "name")
        changed["name"] = integration.name
    if events is not UNSET and events is not None:
        integration.events = clean_events(integration.kind, events)
        changed["events"] = integration.events
    if config is not UNSET and config is not None:
        cleaned, secret, state = _clean_config(integration.kind, config, current=integration)
        integration.config = cleaned
        if secret is not None:
            integration.store_secret(secret)
            changed["secret"] = "replaced"
        if state is not None:
            integration.state = {**(integration.state or {}), **state}
        changed["config"] = _for_audit(integration.kind, cleaned)
    if enabled is not UNSET and enabled is not None and bool(enabled) != integration.enabled:
        integration.enabled = bool(enabled)
        integration.disabled_reason = None if integration.enabled else f"Disabled by {actor.label}."
        changed["enabled"] = integration.enabled
    if changed:
        integration.updated_at = utcnow()
        audit.record(
            actor,
            "integration.updated",
            workspace_id=integration.workspace_id,
            subject_type="integration",
            subject_id=integration.id,
            details=changed,
        )
    db.session.commit()
    if changed.get("enabled"):
        deliveries.queue_due(integration.id)  # deliveries held while it was off go out now
    return integration


def delete(integration_id: int, *, actor: Actor, workspace_id: int | None = None) -> None:
    """Remove an integration with its delivery log and row/page mapping (owner/admin)."""
    integration = _manageable(integration_id, actor, workspace_id)
    audit.record(
        actor,
        "integration.deleted",
        workspace_id=integration.workspace_id,
        subject_type="integration",
        subject_id=integration.id,
        details={"kind": integration.kind, "name": integration.name},
    )
    db.session.delete(integration)
    db.session.commit()


def send_test(integration_id: int, *, actor: Actor, workspace_id: int | None = None) -> dict[str, Any]:
    """Try the integration now (a signed test event, a header row, a schema check, a CRM record made and removed)."""
    integration = _manageable(integration_id, actor, workspace_id)
    try:
        if integration.kind == IntegrationKind.WEBHOOK.value:
            outcome = webhook.send(integration, deliveries.test_envelope(integration))
        elif integration.kind == IntegrationKind.GOOGLE_SHEETS.value:
            outcome = google_sheets.check(integration)
        elif integration.kind in CRMS:
            outcome = CRMS[integration.kind].check(integration)
        else:
            outcome = notion.check(integration)
    except DeliveryError as exc:
        db.session.commit()
        return {"ok": False, "response_code": exc.response_code, "detail": exc.message}
    except Invalid as exc:
        db.session.rollback()
        return {"ok": False, "response_code": None, "detail": "; ".join(exc.fields.values()) or exc.message}
    audit.record(
        actor,
        "integration.tested",
        workspace_id=integration.workspace_id,
        subject_type="integration",
        subject_id=integration.id,
        details={"ok": True},
    )
    db.session.commit()
    return _ok(outcome)


def _ok(outcome: Outcome) -> dict[str, Any]:
    return {"ok": True, "response_code": outcome.response_code, "detail": outcome.detail}


def event_ids_of(deliveries: list[Delivery]) -> dict[int, str]:
    """The outbox event id (what receivers dedupe on) of each of these deliveries, by delivery id, in one query."""
    outbox_ids = {d.outbox_event_id for d in deliveries}
    if not outbox_ids:
        return {}
    rows = db.session.execute(select(OutboxEvent.id, OutboxEvent.event_id).where(OutboxEvent.id.in_(outbox_ids)))
    event_ids = dict(rows.tuples().all())
    return {d.id: event_ids[d.outbox_event_id] for d in deliveries if d.outbox_event_id in event_ids}


def deliveries_page(
    integration_id: int,
    *,
    actor: Actor,
    status: str | None = None,
    event_type: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page:
    """The integration's deliveries, newest first, optionally by status and event type."""
    integration = get(integration_id, actor=actor)
    stmt = select(Delivery).where(Delivery.integration_id == integration.id)
    if status:
        if status not in {s.value for s in DeliveryStatus}:
            raise Invalid(
                _("Unknown delivery status."), fields={"status": _("pending, in_progress, succeeded or failed.")}
            )
        stmt = stmt.where(Delivery.status == status)
    if event_type:
        stmt = stmt.where(Delivery.event_type == event_type)
    return paginate(stmt, [Delivery.id], cursor=cursor, limit=limit, descending=True)


def replay(
    delivery_id: int, *, actor: Actor, integration_id: int | None = None, workspace_id: int | None = None
) -> Delivery:
    """Send a failed (or already delivered) delivery again from scratch, now (owner/admin)."""
    found = get_scoped(Delivery, delivery_id, actor, Role.ADMIN, what="Delivery", workspace_id=workspace_id)
    if integration_id is not None and found.integration_id != integration_id:
        raise NotFound(_("Delivery not found."))  # the URL names the integration: the delivery must be one of its own
    integration = _manageable(found.integration_id, actor)
    delivery = db.session.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())
    if delivery.status not in (DeliveryStatus.FAILED.value, DeliveryStatus.SUCCEEDED.value):
        raise Conflict(_("This delivery is still being attempted; only finished deliveries can be replayed."))
    if not integration.enabled:
        raise Conflict(_("Enable the integration before replaying its deliveries."))
    delivery.status = DeliveryStatus.PENDING.value
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.last_error = None
    audit.record(
        actor,
        "integration.delivery_replayed",
        workspace_id=delivery.workspace_id,
        subject_type="delivery",
        subject_id=delivery.id,
        details={"integration_id": integration.id},
    )
    db.session.commit()
    jobs.enqueue(
        deliveries.DELIVER_JOB,
        delivery.id,
        kind="integration-delivery",
        queue=jobs.QUEUE_DEFAULT,
        workspace_id=delivery.workspace_id,
        requested_by=actor.user_id,
    )
    db.session.refresh(delivery)
    return delivery
