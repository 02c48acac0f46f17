"""Leads: create one from a target, move it through the pipeline, and change owner, tags, notes, value.

Every change writes a LeadEvent (what, old, new, who, door) in the same transaction; status
changes also emit lead.created / lead.status_changed to the outbox for integrations and bots.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select

from core import events
from core.db import db, utcnow
from core.errors import Conflict, Invalid, NotFound
from core.i18n import _
from core.models import Lead, LeadEvent, LeadSource, LeadStatus, LeadTag, Membership, Target, User
from core.services import audit
from core.services.identity.access import fits_key, require_active, require_role
from core.services.identity.actors import Actor
from core.services.leads import intake as lead_intake
from core.services.leads.pipeline import (
    MAX_NOTE_LENGTH,
    check_transition,
    clean_notes,
    clean_tags,
    clean_value,
    is_closed,
    parse_status,
)
from core.validation import collect

UNSET: Any = object()
MAX_BULK = 500


def record_event(
    lead: Lead,
    actor: Actor,
    kind: str,
    *,
    old: str | None = None,
    new: str | None = None,
    note: str | None = None,
    details: dict[str, Any] | None = None,
) -> LeadEvent:
    """Add one timeline line for `lead` to the current transaction."""
    event = LeadEvent(
        lead_id=lead.id,
        workspace_id=lead.workspace_id,
        kind=kind,
        old_value=old,
        new_value=new,
        note=note,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        door=actor.door.value,
        details=details or {},
        created_at=utcnow(),
    )
    db.session.add(event)
    return event


def _load(lead_id: int, actor: Actor, *, for_update: bool = False, workspace_id: int | None = None) -> Lead:
    stmt = select(Lead).where(Lead.id == lead_id)
    lead = db.session.scalar(stmt.with_for_update(of=Lead) if for_update else stmt) if fits_key(Lead, lead_id) else None
    if lead is None or (workspace_id is not None and lead.workspace_id != workspace_id):
        raise NotFound(_("Lead not found."))
    try:
        workspace = require_role(lead.workspace_id, actor)
    except NotFound:
        raise NotFound(_("Lead not found.")) from None
    if for_update:
        require_active(workspace)
    return lead


def get(lead_id: int, *, actor: Actor, workspace_id: int | None = None) -> Lead:
    """A lead of one of the actor's workspaces (of `workspace_id` when given; NotFound otherwise)."""
    return _load(lead_id, actor, workspace_id=workspace_id)


def tags_of(lead_ids: list[int]) -> dict[int, list[str]]:
    """Tags of many leads at once, sorted, keyed by lead id."""
    result: dict[int, list[str]] = {lead_id: [] for lead_id in lead_ids}
    if lead_ids:
        rows = db.session.execute(
            select(LeadTag.lead_id, LeadTag.tag).where(LeadTag.lead_id.in_(lead_ids)).order_by(LeadTag.tag)
        )
        for lead_id, tag in rows:
            result[lead_id].append(tag)
    return result


def _target_of(workspace_id: int, target_id: int) -> Target:
    target = db.session.get(Target, target_id)
    if target is None or target.workspace_id != workspace_id:
        raise NotFound(_("Target not found."), fields={"targetId": _("No such target in this workspace.")})
    return target


def _add(workspace_id: int, target: Target, actor: Actor, source: str) -> int | None:
    """Insert the target's lead with its timeline line, outbox event and audit entry (no commit); None if it had one."""
    # The same path as automatic leads (one INSERT ... ON CONFLICT), so both share one timeline shape.
    created = lead_intake.create_leads(workspace_id, [target.id], actor=actor, source=source)
    if not created:
        return None
    lead_id = created[0][0]
    audit.record(
        actor,
        "lead.created",
        workspace_id=workspace_id,
        subject_type="lead",
        subject_id=lead_id,
        details={"target_id": target.id, "source": source},
    )
    return lead_id


def create(workspace_id: int, target_id: int, *, actor: Actor, source: str = LeadSource.MANUAL.value) -> Lead:
    """Make a lead of a target (status new); Conflict if the target already has one; emits lead.created."""
    require_active(require_role(workspace_id, actor))
    target = _target_of(workspace_id, target_id)
    lead_id = _add(workspace_id, target, actor, source)
    if lead_id is None:
        db.session.rollback()
        existing = db.session.scalar(select(Lead.id).where(Lead.target_id == target_id))
        raise Conflict(
            _("This person is already a lead."), fields={"targetId": _("Lead %(existing)s exists.", existing=existing)}
        )
    db.session.commit()
    return db.session.get(Lead, lead_id)


def make_or_move(
    workspace_id: int, target_id: int, status: str, *, actor: Actor, source: str = LeadSource.MANUAL.value
) -> Lead:
    """Move the person's lead to `status`, making them a lead first if they are not one yet; one transaction.

    A move the pipeline refuses (Conflict) leaves no new lead behind either.
    """
    new = parse_status(status)
    require_active(require_role(workspace_id, actor))
    target = _target_of(workspace_id, target_id)
    lead = db.session.scalar(select(Lead).where(Lead.target_id == target.id).with_for_update())
    if lead is None:
        _add(workspace_id, target, actor, source)  # None when another tap made it meanwhile: it is there now
        lead = db.session.scalar(select(Lead).where(Lead.target_id == target.id).with_for_update())
    try:
        move(lead, new, actor=actor)
    except Conflict:
        db.session.rollback()
        raise
    db.session.commit()
    return lead


def move(lead: Lead, new: LeadStatus, *, actor: Actor, note: str | None = None) -> bool:
    """The one lead status change, for every door and the system (no commit; the caller holds the row lock).

    Checks the pipeline (Conflict naming the allowed moves), sets or clears `closed_at`, and writes the
    timeline event, the audit entry and the outbox's lead.status_changed; False when already there.
    """
    current = LeadStatus(lead.status)
    if current == new:
        return False  # a repeated tap (Slack, Telegram, a double click) changes nothing
    check_transition(current, new)
    lead.status = new.value
    lead.closed_at = utcnow() if is_closed(new) else None
    lead.updated_at = utcnow()
    record_event(lead, actor, "status_changed", old=current.value, new=new.value, note=note)
    events.emit(
        "lead.status_changed",
        lead.workspace_id,
        {"lead_id": lead.id, "target_id": lead.target_id, "from": current.value, "to": new.value, "note": note},
        ordering_key=f"lead:{lead.id}",
    )
    audit.record(
        actor,
        "lead.status_changed",
        workspace_id=lead.workspace_id,
        subject_type="lead",
        subject_id=lead.id,
        details={"from": current.value, "to": new.value},
    )
    return True


def change_status(
    lead_id: int, status: str, *, actor: Actor, note: str | None = None, workspace_id: int | None = None
) -> Lead:
    """Move a lead along the pipeline (Conflict naming the allowed moves); emits lead.status_changed."""
    # Find the lead first: another workspace's lead is NotFound whatever the form says.
    lead = _load(lead_id, actor, for_update=True, workspace_id=workspace_id)
    cleaned = collect(status=lambda: parse_status(status), note=lambda: clean_notes(note, "note", MAX_NOTE_LENGTH))
    move(lead, cleaned["status"], actor=actor, note=cleaned["note"])
    db.session.commit()
    return lead


def check_owner(workspace_id: int, user_id: int | None, field: str = "owner") -> User | None:
    """The owner-to-be, who must be a member of the workspace (Invalid naming `field` otherwise)."""
    if user_id is None:
        return None
    user = db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, User.id == user_id)
    )
    if user is None:
        raise Invalid(
            _("The owner must be a member of the workspace."), fields={field: _("Not a member of this workspace.")}
        )
    return user


def _owner_label(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user.email if user else f"user {user_id}"


def _apply_owner(lead: Lead, owner: User | None, actor: Actor) -> bool:
    new_id = owner.id if owner else None
    if lead.owner_user_id == new_id:
        return False
    old_id = lead.owner_user_id
    record_event(
        lead,
        actor,
        "owner_changed",
        old=_owner_label(old_id),
        new=owner.email if owner else None,
        details={"from_user_id": old_id, "to_user_id": new_id},
    )
    lead.owner_user_id = new_id
    return True


def update(
    lead_id: int,
    *,
    actor: Actor,
    owner: Any = UNSET,
    tags: Any = UNSET,
    notes: Any = UNSET,
    value: Any = UNSET,
    workspace_id: int | None = None,
) -> Lead:
    """Change owner (a member or None), tags (replaces the set), notes and estimated value; one event each."""
    lead = _load(lead_id, actor, for_update=True, workspace_id=workspace_id)
    checks: dict[str, Any] = {}
    if owner is not UNSET:
        checks["owner"] = lambda: check_owner(lead.workspace_id, owner)
    if tags is not UNSET:
        checks["tags"] = lambda: clean_tags(list(tags or []))
    if notes is not UNSET:
        checks["notes"] = lambda: clean_notes(notes)
    if value is not UNSET:
        checks["value"] = lambda: clean_value(value)
    cleaned = collect(**checks)
    changed: list[str] = []
    if "owner" in cleaned and _apply_owner(lead, cleaned["owner"], actor):
        changed.append("owner")
    if "tags" in cleaned and _apply_tags(lead, cleaned["tags"], actor):
        changed.append("tags")
    if "notes" in cleaned and cleaned["notes"] != lead.notes:
        record_event(lead, actor, "notes_changed", old=lead.notes, new=cleaned["notes"])
        lead.notes = cleaned["notes"]
        changed.append("notes")
    if "value" in cleaned and cleaned["value"] != lead.estimated_value:
        record_event(lead, actor, "value_changed", old=_money(lead.estimated_value), new=_money(cleaned["value"]))
        lead.estimated_value = cleaned["value"]
        changed.append("value")
    if changed:
        lead.updated_at = utcnow()
        audit.record(
            actor,
            "lead.updated",
            workspace_id=lead.workspace_id,
            subject_type="lead",
            subject_id=lead.id,
            details={"changed": changed},
        )
    db.session.commit()
    return lead


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _apply_tags(lead: Lead, tags: list[str], actor: Actor) -> bool:
    current = sorted(tags_of([lead.id])[lead.id])
    if sorted(tags) == current:
        return False
    db.session.execute(delete(LeadTag).where(LeadTag.lead_id == lead.id))
    db.session.add_all([LeadTag(lead_id=lead.id, tag=tag) for tag in tags])
    added = sorted(set(tags) - set(current))
    removed = sorted(set(current) - set(tags))
    record_event(
        lead,
        actor,
        "tags_changed",
        old=", ".join(current) or None,
        new=", ".join(sorted(tags)) or None,
        details={"added": added, "removed": removed},
    )
    return True


@dataclass
class BulkResult:
    updated: list[int]
    skipped: list[dict[str, Any]]


def bulk_update(
    workspace_id: int, lead_ids: list[int], *, actor: Actor, status: str | None = None, owner: Any = UNSET
) -> BulkResult:
    """Set the status and/or owner of many leads; moves the pipeline refuses are skipped with the reason.

    An id outside the workspace fails the whole request (NotFound) and nothing changes.
    """
    require_active(require_role(workspace_id, actor))
    ids = list(dict.fromkeys(lead_ids))
    checks: dict[str, Any] = {"lead_ids": lambda: _check_ids(ids)}
    if status is not None:
        checks["status"] = lambda: parse_status(status)
    if owner is not UNSET:
        checks["owner"] = lambda: check_owner(workspace_id, owner)
    if status is None and owner is UNSET:
        checks["status"] = _nothing_to_change
    cleaned = collect(**checks)
    rows = db.session.scalars(
        select(Lead).where(Lead.id.in_(ids), Lead.workspace_id == workspace_id).order_by(Lead.id).with_for_update()
    ).all()
    if len(rows) != len(ids):
        raise NotFound(_("Lead not found."), fields={"lead_ids": _("Some ids are not leads of this workspace.")})
    result = BulkResult(updated=[], skipped=[])
    for lead in rows:
        touched = False
        if "status" in cleaned:
            try:
                touched = move(lead, cleaned["status"], actor=actor)
            except Conflict as exc:
                result.skipped.append({"lead_id": lead.id, "reason": exc.message})
                continue
        if "owner" in cleaned and _apply_owner(lead, cleaned["owner"], actor):
            lead.updated_at = utcnow()
            touched = True
        if touched:
            result.updated.append(lead.id)
    audit.record(
        actor,
        "leads.bulk_updated",
        workspace_id=workspace_id,
        subject_type="lead",
        details={
            "updated": len(result.updated),
            "skipped": len(result.skipped),
            "status": status,
            "owner": None if owner is UNSET else owner,
        },
    )
    db.session.commit()
    return result


def _nothing_to_change() -> None:
    raise Invalid(_("Nothing to change."), fields={"status": _("Give a status and/or an owner.")})


def _check_ids(ids: list[int]) -> list[int]:
    if not ids:
        raise Invalid(_("Select at least one lead."), fields={"lead_ids": _("Select at least one lead.")})
    if len(ids) > MAX_BULK:
        raise Invalid(
            _("Too many leads at once."), fields={"lead_ids": _("At most %(max_bulk)s at once.", max_bulk=MAX_BULK)}
        )
    return ids
