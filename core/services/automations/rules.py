"""Automation rules: create, read, change, delete, and pausing or promoting one of their variants."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.errors import Invalid, NotFound
from core.i18n import _
from core.models import AutomationRule, AutomationTrigger, AutomationVariant, Role, Workspace
from core.services import audit
from core.services.automations.spec import LABELS, check
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor

MAX_RULES = 100


def get(rule_id: int, *, actor: Actor, workspace_id: int | None = None) -> AutomationRule:
    """One rule the actor may see (of `workspace_id` when given); NotFound otherwise."""
    return get_scoped(AutomationRule, rule_id, actor, what="Automation", workspace_id=workspace_id)


def list_for(workspace_id: int, *, actor: Actor) -> list[AutomationRule]:
    """The workspace's rules in the order they are tried: priority, then age."""
    require_role(workspace_id, actor)
    return list(
        db.session.scalars(
            select(AutomationRule)
            .where(AutomationRule.workspace_id == workspace_id)
            .order_by(AutomationRule.priority, AutomationRule.id)
        )
    )


def variants_of(rule_id: int, *, include_removed: bool = False) -> list[AutomationVariant]:
    stmt = select(AutomationVariant).where(AutomationVariant.rule_id == rule_id).order_by(AutomationVariant.id)
    if not include_removed:
        stmt = stmt.where(AutomationVariant.removed_at.is_(None))
    return list(db.session.scalars(stmt))


def as_spec(rule: AutomationRule) -> dict[str, Any]:
    """The rule in the shape `create` and `update` take (and the API returns)."""
    hours = {"from": rule.active_from, "until": rule.active_until} if rule.active_from else None
    return {
        "name": rule.name,
        "priority": rule.priority,
        "trigger": dict(rule.trigger),
        "exclude": dict(rule.exclusions),
        "variants": [
            {"id": v.id, "label": v.label, "templateId": v.template_id, "weight": v.weight, "paused": v.paused}
            for v in variants_of(rule.id)
        ],
        "publicReplies": list(rule.public_replies),
        "mode": rule.mode,
        "active": rule.active,
        "createLead": rule.create_lead,
        "chatAlert": rule.chat_alert,
        "leadTag": rule.lead_tag,
        "activeHours": hours,
    }


def _apply(rule: AutomationRule, spec: dict[str, Any]) -> None:
    was_active = rule.active
    rule.name = spec["name"]
    rule.priority = spec["priority"]
    rule.trigger = spec["trigger"]
    rule.exclusions = spec["exclude"]
    rule.public_replies = spec["publicReplies"]
    rule.mode = spec["mode"]
    rule.active = spec["active"]
    rule.create_lead = spec["createLead"]
    rule.chat_alert = spec["chatAlert"]
    rule.lead_tag = spec["leadTag"]
    hours = spec["activeHours"] or {}
    rule.active_from, rule.active_until = hours.get("from"), hours.get("until")
    if rule.active and not was_active:
        rule.activated_at = utcnow()  # what came before the switch-on never triggers it
    rule.updated_at = utcnow()


def _sync_variants(rule: AutomationRule, wanted: list[dict[str, Any]]) -> None:
    """Variants named by id are changed, new ones added; the ones left out are retired, kept for their figures."""
    current = {v.id: v for v in variants_of(rule.id, include_removed=True)}
    used = {v.label for v in current.values()}
    kept: set[int] = set()
    for index, item in enumerate(wanted):
        if item["id"] is not None:
            variant = current.get(item["id"])
            if variant is None or variant.removed_at is not None:
                raise Invalid(
                    _("The automation is not valid."),
                    fields={f"variants.{index}.id": _("The id of one of this rule's variants.")},
                )
        else:
            label = next((c for c in LABELS + "GHIJKLMNOPQRSTUVWXYZ" if c not in used), "?")
            used.add(label)
            variant = AutomationVariant(rule_id=rule.id, label=label)
            db.session.add(variant)
        variant.template_id = item["templateId"]
        variant.weight = item["weight"]
        variant.paused = item["paused"]
        db.session.flush()
        kept.add(variant.id)
    for variant in current.values():
        if variant.id not in kept and variant.removed_at is None:
            variant.removed_at = utcnow()


def _flush_name() -> None:
    """Write the rule so far; a name the workspace already uses is Invalid on the name (before variants move)."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Invalid(_("An automation with this name exists."), fields={"name": _("Choose another name.")}) from None


def _save(rule: AutomationRule, actor: Actor, action: str) -> AutomationRule:
    _flush_name()
    audit.record(
        actor,
        action,
        workspace_id=rule.workspace_id,
        subject_type="automation",
        subject_id=rule.id,
        details={"name": rule.name, "active": rule.active, "mode": rule.mode},
    )
    db.session.commit()
    return rule


def create(workspace_id: int, spec: dict[str, Any], *, actor: Actor) -> AutomationRule:
    """Add a rule (admins and owners: a rule sends messages in the workspace's name)."""
    require_active(require_role(workspace_id, actor, Role.ADMIN))
    clean = check(spec, workspace_id)
    if any(v["id"] is not None for v in clean["variants"]):
        raise Invalid(_("The automation is not valid."), fields={"variants.0.id": _("A new rule has no variants yet.")})
    count = db.session.query(AutomationRule).filter_by(workspace_id=workspace_id).count()
    if count >= MAX_RULES:
        raise Invalid(_("Too many automations."), fields={"name": _("At most %(count)s rules.", count=MAX_RULES)})
    rule = AutomationRule(workspace_id=workspace_id, created_by_user_id=actor.user_id)
    _apply(rule, clean)
    db.session.add(rule)
    _flush_name()
    _sync_variants(rule, clean["variants"])
    return _save(rule, actor, "automation.created")


def update(rule_id: int, changes: dict[str, Any], *, actor: Actor, workspace_id: int | None = None) -> AutomationRule:
    """Change the fields given; the others keep their value (admins and owners)."""
    rule = get_scoped(AutomationRule, rule_id, actor, Role.ADMIN, what="Automation", workspace_id=workspace_id)
    require_active(db.session.get(Workspace, rule.workspace_id))
    # A null keeps the field as it is, like a field left out (only the hours and the tag can be emptied).
    changes = {k: v for k, v in changes.items() if v is not None or k in ("activeHours", "leadTag")}
    before = as_spec(rule)
    clean = check({**before, **changes}, rule.workspace_id)
    _apply(rule, clean)
    if rule.active and clean["trigger"] != before["trigger"]:
        rule.activated_at = utcnow()  # what it did not listen to before never triggers it now
    _flush_name()
    _sync_variants(rule, clean["variants"])
    return _save(rule, actor, "automation.updated")


def delete(rule_id: int, *, actor: Actor, workspace_id: int | None = None) -> None:
    """Delete a rule and its figures; the DMs it sent stay in their history (admins and owners)."""
    rule = get_scoped(AutomationRule, rule_id, actor, Role.ADMIN, what="Automation", workspace_id=workspace_id)
    require_active(db.session.get(Workspace, rule.workspace_id))
    audit.record(
        actor, "automation.deleted", workspace_id=rule.workspace_id, subject_type="automation", subject_id=rule.id
    )
    # Spelled out, as SQLite enforces no foreign key actions: the comments stay claimed, the variants go.
    db.session.execute(
        sa.update(AutomationTrigger).where(AutomationTrigger.rule_id == rule.id).values(rule_id=None, variant_id=None)
    )
    db.session.execute(sa.delete(AutomationVariant).where(AutomationVariant.rule_id == rule.id))
    db.session.delete(rule)
    db.session.commit()


def _variant(rule: AutomationRule, variant_id: int) -> AutomationVariant:
    variant = db.session.get(AutomationVariant, variant_id)
    if variant is None or variant.rule_id != rule.id or variant.removed_at is not None:
        raise NotFound(_("Variant not found."))
    return variant


def set_variant_paused(
    rule_id: int, variant_id: int, paused: bool, *, actor: Actor, workspace_id: int | None = None
) -> AutomationRule:
    """Pause or resume one variant; the last running one cannot be paused."""
    rule = get_scoped(AutomationRule, rule_id, actor, Role.ADMIN, what="Automation", workspace_id=workspace_id)
    require_active(db.session.get(Workspace, rule.workspace_id))
    variant = _variant(rule, variant_id)
    running = [v for v in variants_of(rule.id) if not v.paused and v.id != variant.id]
    if paused and not running:
        raise Invalid(_("Keep at least one variant running."), fields={"variants": _("Keep at least one running.")})
    variant.paused = paused
    return _save(rule, actor, "automation.variant_paused" if paused else "automation.variant_resumed")


def promote(rule_id: int, variant_id: int, *, actor: Actor, workspace_id: int | None = None) -> AutomationRule:
    """Send only this variant from now on: the others are paused (their figures stay)."""
    rule = get_scoped(AutomationRule, rule_id, actor, Role.ADMIN, what="Automation", workspace_id=workspace_id)
    require_active(db.session.get(Workspace, rule.workspace_id))
    winner = _variant(rule, variant_id)
    for variant in variants_of(rule.id):
        variant.paused = variant.id != winner.id
    return _save(rule, actor, "automation.variant_promoted")
