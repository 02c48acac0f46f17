"""Operator actions on the whole platform (platform administrators only)."""

from __future__ import annotations

from core.db import db
from core.errors import Forbidden, NotFound
from core.models import Door
from core.services import audit
from core.services.actors import Actor
from core.services.auth import find_user_by_email
from core.models import User


def require_platform_admin(actor: Actor) -> None:
    # The CLI is run by whoever operates the servers, so it is trusted like an administrator.
    if not (actor.is_platform_admin or actor.door == Door.CLI):
        raise NotFound("Not found.")


def promote(email: str, *, actor: Actor) -> User:
    """Make a user a platform administrator."""
    require_platform_admin(actor)
    user = find_user_by_email(email)
    if user is None:
        raise NotFound(f"No user with email {email}.")
    if user.is_suspended:
        raise Forbidden("A suspended user cannot be promoted.")
    user.is_platform_admin = True
    audit.record(actor, "user.promoted", subject_type="user", subject_id=user.id)
    db.session.commit()
    return user
