"""The one place that decides whether an actor may touch a workspace's data."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import select

from core.db import db
from core.errors import Forbidden, NotFound
from core.i18n import _
from core.models import Membership, Role, Workspace
from core.services.identity.actors import Actor

T = TypeVar("T")
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1


def fits_key(model: type, object_id: int) -> bool:
    """Whether `object_id` is in the range of `model`'s primary key (INTEGER or BIGINT).

    PostgreSQL refuses to compare an INTEGER key with 99999999999 ("integer out of range"): such an id
    typed into a chat or carried by a button names no row, and is NotFound like any missing one.
    """
    column = next(iter(model.__table__.primary_key.columns))  # type: ignore[attr-defined]
    limit = INT8_MAX if isinstance(column.type, sa.BigInteger) else INT4_MAX
    return isinstance(object_id, int) and -limit - 1 <= object_id <= limit


def membership_of(workspace_id: int, actor: Actor) -> Membership | None:
    if actor.user_id is None:
        return None
    return db.session.scalar(
        select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == actor.user_id)
    )


def require_role(workspace_id: int, actor: Actor, role: Role = Role.MEMBER) -> Workspace:
    """Return the workspace if the actor holds at least `role` in it.

    A workspace the actor does not belong to answers NotFound, exactly like a missing one,
    so ids of other tenants cannot be probed. System actors (jobs) act on every workspace.
    """
    workspace = db.session.get(Workspace, workspace_id) if fits_key(Workspace, workspace_id) else None
    if workspace is None:
        raise NotFound(_("Workspace not found."))
    if actor.is_system:
        return workspace
    membership = membership_of(workspace_id, actor)
    if membership is None:
        raise NotFound(_("Workspace not found."))
    if not Role(membership.role).at_least(role):
        raise Forbidden(_("This needs the %(value)s role or higher in the workspace.", value=role.value))
    return workspace


def require_active(workspace: Workspace) -> Workspace:
    """Refuse changes in a suspended workspace (its data stays readable)."""
    if workspace.is_suspended:
        raise Forbidden(_("This workspace is suspended; contact your VistaFlow operator."))
    return workspace


# Whole sentences, so that each language can agree its words with the noun (“Cible introuvable.”).
NOT_FOUND = {
    "Automation": _("Automation not found."),
    "Chat": _("Chat not found."),
    "Delivery": _("Delivery not found."),
    "Enrolment": _("Enrolment not found."),
    "Integration": _("Integration not found."),
    "Invitation": _("Invitation not found."),
    "Lead": _("Lead not found."),
    "Link": _("Link not found."),
    "Sequence": _("Sequence not found."),
    "Social account": _("Social account not found."),
    "Target": _("Target not found."),
    "Template": _("Template not found."),
}


def not_found(what: str) -> str:
    """“<what> not found.” as a translatable sentence."""
    return NOT_FOUND.get(what) or _("%(what)s not found.", what=what)


def get_scoped(
    model: type[T],
    object_id: int,
    actor: Actor,
    role: Role = Role.MEMBER,
    *,
    what: str,
    workspace_id: int | None = None,
) -> T:
    """Load a workspace-scoped row by id, or NotFound if it is missing or in another workspace.

    With `workspace_id` (the workspace a page, form or chat is about), a row of any other workspace
    is NotFound too, even one the actor may see: an id cannot reach across from there.
    """
    obj = db.session.get(model, object_id) if fits_key(model, object_id) else None
    if obj is None or (workspace_id is not None and obj.workspace_id != workspace_id):  # type: ignore[attr-defined]
        raise NotFound(not_found(what))
    try:
        require_role(obj.workspace_id, actor, role)  # type: ignore[attr-defined]
    except NotFound:
        raise NotFound(not_found(what)) from None
    return obj
