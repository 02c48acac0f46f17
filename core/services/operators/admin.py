"""Operator actions on the whole platform (platform administrators only)."""

from __future__ import annotations

from core.db import db, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.i18n import _
from core.models import Door, User, Workspace
from core.services import audit
from core.services.identity import console_sessions
from core.services.identity.actors import Actor
from core.services.identity.auth import find_user_by_email


def require_platform_admin(actor: Actor) -> None:
    """NotFound (never Forbidden) for anyone else, so the operator surface does not reveal itself."""
    # The CLI is run by whoever operates the servers, so it is trusted like an administrator.
    if not (actor.is_platform_admin or actor.door == Door.CLI):
        raise NotFound(_("Not found."))


def promote(email: str, *, actor: Actor) -> User:
    """Make a user a platform administrator."""
    require_platform_admin(actor)
    user = find_user_by_email(email)
    if user is None:
        raise NotFound(_("No user with email %(email)s.", email=email))
    if user.is_suspended:
        raise Forbidden(_("A suspended user cannot be promoted."))
    user.is_platform_admin = True
    audit.record(actor, "user.promoted", subject_type="user", subject_id=user.id)
    db.session.commit()
    return user


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(_("User not found."))
    return user


def _workspace(workspace_id: int) -> Workspace:
    workspace = db.session.get(Workspace, workspace_id, with_for_update=True)
    if workspace is None:
        raise NotFound(_("Workspace not found."))
    return workspace


def suspend_user(user_id: int, *, actor: Actor, reason: str = "") -> User:
    """Suspend a user: logins, sessions, JWTs and API tokens are refused; audited. Idempotent."""
    require_platform_admin(actor)
    user = _user(user_id)
    if user.id == actor.user_id:
        raise Conflict(_("You cannot suspend yourself."))
    if user.suspended_at is None:
        user.suspended_at = utcnow()
        # Sessions and JWTs issued before the suspension stay dead even after a reactivation.
        user.token_version = User.token_version + 1
        console_sessions.end_all(user.id)
        audit.record(
            actor,
            "admin.user_suspended",
            subject_type="user",
            subject_id=user.id,
            details={"reason": reason.strip()[:500]} if reason.strip() else {},
        )
    db.session.commit()
    return user


def reactivate_user(user_id: int, *, actor: Actor) -> User:
    """Lift a user's suspension; audited. Idempotent."""
    require_platform_admin(actor)
    user = _user(user_id)
    if user.suspended_at is not None:
        user.suspended_at = None
        audit.record(actor, "admin.user_reactivated", subject_type="user", subject_id=user.id)
    db.session.commit()
    return user


def suspend_workspace(workspace_id: int, *, actor: Actor, reason: str = "") -> Workspace:
    """Suspend a workspace: no job is scheduled for it and changes are refused; its data stays. Audited."""
    require_platform_admin(actor)
    workspace = _workspace(workspace_id)
    if workspace.suspended_at is None:
        workspace.suspended_at = utcnow()
        audit.record(
            actor,
            "admin.workspace_suspended",
            workspace_id=workspace.id,
            subject_type="workspace",
            subject_id=workspace.id,
            details={"reason": reason.strip()[:500]} if reason.strip() else {},
        )
    db.session.commit()
    return workspace


def reactivate_workspace(workspace_id: int, *, actor: Actor) -> Workspace:
    """Lift a workspace's suspension; audited. Idempotent."""
    require_platform_admin(actor)
    workspace = _workspace(workspace_id)
    if workspace.suspended_at is not None:
        workspace.suspended_at = None
        audit.record(
            actor,
            "admin.workspace_reactivated",
            workspace_id=workspace.id,
            subject_type="workspace",
            subject_id=workspace.id,
        )
    db.session.commit()
    return workspace
