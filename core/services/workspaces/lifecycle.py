"""Creating workspaces, changing their settings, and managing who belongs to them."""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import func, select

from core.db import db
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.i18n import _
from core.models import DmTemplate, Membership, Role, User, Workspace
from core.pagination import Page, paginate
from core.services import audit
from core.services.identity import email_verification
from core.services.identity.access import require_active, require_role
from core.services.identity.actors import Actor
from core.services.identity.auth import find_user_by_email
from core.services.outreach import starters
from core.services.workspaces import settings as workspace_settings
from core.validation import clean_email, clean_name, clean_time_zone, collect


def _slugify(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "workspace"
    slug = base
    while db.session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def list_for(actor: Actor) -> list[tuple[Workspace, Role]]:
    """The actor's workspaces with their role in each, oldest first."""
    rows = db.session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == actor.user_id)
        .order_by(Workspace.id)
    ).all()
    return [(ws, Role(role)) for ws, role in rows]


def page_for(actor: Actor, *, cursor: str | None, limit: int | None) -> Page:
    """A page of (workspace, role) for the actor's workspaces."""
    stmt = (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == actor.user_id)
    )
    page = paginate(stmt, [Workspace.id], cursor=cursor, limit=limit, scalars=False)
    page.items = [(ws, Role(role)) for ws, role in page.items]
    return page


def create(name: str, *, actor: Actor, time_zone: str = "UTC") -> Workspace:
    """Create a workspace with the actor as its owner; an unverified address owns one at most."""
    cleaned = collect(name=lambda: clean_name(name), time_zone=lambda: clean_time_zone(time_zone))
    _require_verified_beyond_first(actor)
    workspace = Workspace(
        name=cleaned["name"],
        slug=_slugify(cleaned["name"]),
        time_zone=cleaned["time_zone"],
        settings=workspace_settings.read({}).model_dump(),
    )
    db.session.add(workspace)
    db.session.flush()
    db.session.add(Membership(workspace_id=workspace.id, user_id=actor.user_id, role=Role.OWNER))
    starters.add(workspace, user_id=actor.user_id)
    audit.record(
        actor, "workspace.created", workspace_id=workspace.id, subject_type="workspace", subject_id=workspace.id
    )
    db.session.commit()
    return workspace


def _require_verified_beyond_first(actor: Actor) -> None:
    user = db.session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or user.is_verified:
        return
    owned = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.user_id == user.id, Membership.role == Role.OWNER)
    )
    if owned:
        raise Forbidden(email_verification.NEEDED_FOR_SECOND_WORKSPACE)


def get(workspace_id: int, *, actor: Actor) -> tuple[Workspace, Role | None]:
    """A workspace the actor belongs to, with the actor's role (None for system actors)."""
    workspace = require_role(workspace_id, actor, Role.MEMBER)
    membership = db.session.scalar(
        select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == actor.user_id)
    )
    return workspace, (Role(membership.role) if membership else None)


def update(
    workspace_id: int,
    *,
    actor: Actor,
    name: str | None = None,
    time_zone: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Workspace:
    """Rename, move time zone or change settings (owner/admin)."""
    workspace = require_active(require_role(workspace_id, actor, Role.ADMIN))
    checks: dict[str, Any] = {}
    if name is not None:
        checks["name"] = lambda: clean_name(name)
    if time_zone is not None:
        checks["time_zone"] = lambda: clean_time_zone(time_zone)
    if settings is not None:
        checks["settings"] = lambda: _check_references(
            workspace_id, workspace_settings.merge(workspace.settings, settings)
        )
    cleaned = collect(**checks)
    before = {k: getattr(workspace, k) for k in cleaned}
    for key, value in cleaned.items():
        setattr(workspace, key, value)
    changed = {k: {"from": before[k], "to": v} for k, v in cleaned.items() if before[k] != v}
    if changed:
        audit.record(
            actor,
            "workspace.updated",
            workspace_id=workspace.id,
            subject_type="workspace",
            subject_id=workspace.id,
            details={"changed": sorted(changed)},
        )
    db.session.commit()
    return workspace


def _check_references(workspace_id: int, merged: dict[str, Any]) -> dict[str, Any]:
    """Settings that name a row must name one of this workspace's (every door writes through here)."""
    named = {"settings.default_template_id": merged.get("default_template_id")}
    named.update({f"settings.language_templates.{k}": v for k, v in (merged.get("language_templates") or {}).items()})
    for field, template_id in named.items():
        if template_id is None:
            continue
        template = db.session.get(DmTemplate, template_id)
        if template is None or template.workspace_id != workspace_id:
            raise Invalid(_("Unknown template."), fields={field: _("No such template here.")})
    return merged


def members_page(workspace_id: int, *, actor: Actor, cursor: str | None = None, limit: int | None = None) -> Page:
    """A page of the workspace's memberships, oldest first."""
    require_role(workspace_id, actor, Role.MEMBER)
    stmt = select(Membership).where(Membership.workspace_id == workspace_id)
    return paginate(stmt, [Membership.id], cursor=cursor, limit=limit)


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise Invalid(_("Unknown role."), fields={"role": _("One of: owner, admin, member.")}) from None


def check_grant(actor_role: Role | None, role: Role, current: Role | None = None) -> None:
    # Only owners make (or unmake) owners; admins manage admins and members.
    if actor_role in (None, Role.OWNER):
        return
    if current == Role.OWNER:
        raise Invalid(_("Only an owner can change an owner's role."), fields={"role": _("Needs the owner role.")})
    if role == Role.OWNER:
        raise Invalid(_("Only an owner can grant the owner role."), fields={"role": _("Needs the owner role.")})


def add_member(workspace_id: int, email: str, role: str, *, actor: Actor) -> Membership:
    """Add an existing user at once (the demo and operators' scripts); people join by invitation."""
    workspace = require_active(require_role(workspace_id, actor, Role.ADMIN))
    cleaned = collect(email=lambda: clean_email(email), role=lambda: parse_role(role))
    _workspace, actor_role = get(workspace_id, actor=actor)
    check_grant(actor_role, cleaned["role"])
    user = find_user_by_email(cleaned["email"])
    if user is None:
        raise Invalid(_("No VistaFlow user has this email."), fields={"email": _("Unknown user.")})
    return join(workspace, user, cleaned["role"], actor=actor)


def join(workspace: Workspace, user: User, role: Role, *, actor: Actor) -> Membership:
    """Make `user` a member with `role` (Conflict if already one); the caller commits."""
    exists = db.session.scalar(
        select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == user.id)
    )
    if exists is not None:
        raise Conflict(_("This user is already a member."), fields={"email": _("Already a member.")})
    membership = Membership(workspace_id=workspace.id, user_id=user.id, role=role)
    db.session.add(membership)
    audit.record(
        actor,
        "member.added",
        workspace_id=workspace.id,
        subject_type="user",
        subject_id=user.id,
        details={"role": role.value},
    )
    db.session.commit()
    return membership


def _membership(workspace_id: int, user_id: int) -> Membership:
    membership = db.session.scalar(
        select(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
        .with_for_update()
    )
    if membership is None:
        raise NotFound(_("Member not found."))
    return membership


def _owner_count(workspace_id: int) -> int:
    # Lock the owners' rows so two concurrent demotions cannot both see "another owner left".
    owners = db.session.scalars(
        select(Membership.id)
        .where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER)
        .with_for_update()
    ).all()
    return len(owners)


def change_role(workspace_id: int, user_id: int, role: str, *, actor: Actor) -> Membership:
    """Change a member's role; the last owner cannot be demoted."""
    require_active(require_role(workspace_id, actor, Role.ADMIN))
    new_role = collect(role=lambda: parse_role(role))["role"]
    _workspace, actor_role = get(workspace_id, actor=actor)
    membership = _membership(workspace_id, user_id)
    current = Role(membership.role)
    check_grant(actor_role, new_role, current)
    if current == Role.OWNER and new_role != Role.OWNER and _owner_count(workspace_id) <= 1:
        raise Conflict(
            _("The last owner cannot be demoted; make someone else owner first."), fields={"role": _("Last owner.")}
        )
    if current != new_role:
        membership.role = new_role
        audit.record(
            actor,
            "member.role_changed",
            workspace_id=workspace_id,
            subject_type="user",
            subject_id=user_id,
            details={"from": current.value, "to": new_role.value},
        )
    db.session.commit()
    return membership


def remove_member(workspace_id: int, user_id: int, *, actor: Actor) -> None:
    """Remove a member (owner/admin, or anyone leaving); the last owner cannot be removed."""
    leaving = actor.user_id == user_id
    require_active(require_role(workspace_id, actor, Role.MEMBER if leaving else Role.ADMIN))
    _workspace, actor_role = get(workspace_id, actor=actor)
    membership = _membership(workspace_id, user_id)
    if Role(membership.role) == Role.OWNER:
        if not leaving and actor_role not in (None, Role.OWNER):
            raise Invalid(_("Only an owner can remove an owner."), fields={"role": _("Needs the owner role.")})
        if _owner_count(workspace_id) <= 1:
            raise Conflict(_("The last owner cannot be removed; make someone else owner first."))
    db.session.delete(membership)
    audit.record(actor, "member.removed", workspace_id=workspace_id, subject_type="user", subject_id=user_id)
    db.session.commit()
