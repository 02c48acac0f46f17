"""The one place that decides whether an actor may touch a workspace's data."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from core.db import db
from core.errors import Forbidden, NotFound
from core.models import Membership, Role, Workspace
from core.services.actors import Actor

T = TypeVar("T")


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
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found.")
    if actor.is_system:
        return workspace
    membership = membership_of(workspace_id, actor)
    if membership is None:
        raise NotFound("Workspace not found.")
    if not Role(membership.role).at_least(role):
        raise Forbidden(f"This needs the {role.value} role or higher in the workspace.")
    return workspace


def require_active(workspace: Workspace) -> Workspace:
    """Refuse changes in a suspended workspace (its data stays readable)."""
    if workspace.is_suspended:
        raise Forbidden("This workspace is suspended; contact your VistaFlow operator.")
    return workspace


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
    obj = db.session.get(model, object_id)
    if obj is None or (workspace_id is not None and obj.workspace_id != workspace_id):  # type: ignore[attr-defined]
        raise NotFound(f"{what} not found.")
    try:
        require_role(obj.workspace_id, actor, role)  # type: ignore[attr-defined]
    except NotFound:
        raise NotFound(f"{what} not found.") from None
    return obj
