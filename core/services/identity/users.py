"""A person's own account: profile, notification preferences, password and deletion."""

from __future__ import annotations

from typing import Any

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select, update

from core import throttle
from core.db import db
from core.errors import Conflict, Invalid, NotFound, TooManyRequests
from core.field_errors import field_message
from core.i18n import _
from core.models import AuditEntry, Membership, Role, User, Workspace
from core.security.passwords import hash_password, verify_password
from core.services import audit
from core.services.identity import auth, console_sessions
from core.services.identity.actors import Actor
from core.validation import check_password, clean_locale, clean_name, clean_time_zone, collect

WRONG_PASSWORD = _("The password is not correct.")


class NotificationPreferences(BaseModel):
    """The notification switches a user can flip; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    email_digest: bool = True
    # The local hour (in the person's time zone) the daily digest mail arrives.
    digest_hour: int = Field(8, ge=0, le=23)
    hot_target_alerts: bool = True


def notifications_of(user: User) -> NotificationPreferences:
    stored = (user.preferences or {}).get("notifications") or {}
    # Keys dropped from the model since they were stored are ignored rather than fatal.
    known = {k: v for k, v in stored.items() if k in NotificationPreferences.model_fields}
    return NotificationPreferences.model_validate(known)


def _merge_notifications(user: User, changes: dict[str, Any]) -> NotificationPreferences:
    merged = notifications_of(user).model_dump() | dict(changes)
    try:
        return NotificationPreferences.model_validate(merged)
    except ValidationError as exc:
        fields = {
            "notifications." + ".".join(str(p) for p in err["loc"]): field_message(err)
            for err in exc.errors(include_url=False)
        }
        raise Invalid(_("Some notification preferences are not valid."), fields=fields) from None


def get_me(*, actor: Actor) -> User:
    """The actor's own user row."""
    user = db.session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotFound(_("User not found."))
    return user


def update_me(
    *,
    actor: Actor,
    name: str | None = None,
    time_zone: str | None = None,
    notifications: dict[str, Any] | None = None,
    locale: str | None = None,
) -> User:
    """Change the actor's name, time zone, language ('' clears it) or notifications; audited when something changed."""
    user = get_me(actor=actor)
    checks: dict[str, Any] = {}
    if name is not None:
        checks["name"] = lambda: clean_name(name)
    if time_zone is not None:
        checks["time_zone"] = lambda: clean_time_zone(time_zone)
    if locale is not None:
        checks["locale"] = lambda: clean_locale(locale)
    if notifications is not None:
        checks["notifications"] = lambda: _merge_notifications(user, notifications)
    cleaned = collect(**checks)
    changed: list[str] = []
    for key in ("name", "time_zone", "locale"):
        if key in cleaned and getattr(user, key) != cleaned[key]:
            setattr(user, key, cleaned[key])
            changed.append(key)
    if "notifications" in cleaned:
        new = cleaned["notifications"].model_dump()
        if new != notifications_of(user).model_dump() or "notifications" not in (user.preferences or {}):
            # A new dict, so the JSON column is seen as changed.
            user.preferences = dict(user.preferences or {}) | {"notifications": new}
            changed.append("notifications")
    if changed:
        audit.record(
            actor, "user.profile_updated", subject_type="user", subject_id=user.id, details={"changed": changed}
        )
    db.session.commit()
    return user


def _check_password_attempt(user: User, password: str, field: str) -> None:
    """Verify the user's password, throttled like logins so it cannot be guessed through here."""
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    limit = current_app.config["LOGIN_MAX_FAILURES_PER_EMAIL"]
    key = f"password:{user.email}"
    count, wait = throttle.failures(key, window)
    if count >= limit:
        raise TooManyRequests(_("Too many wrong passwords; try again later."), retry_after=wait)
    if not verify_password(user.password_hash, password or ""):
        throttle.add_failure(key, window)
        raise Invalid(WRONG_PASSWORD, fields={field: _("Incorrect password.")})
    throttle.clear(key)


def change_password(current_password: str, new_password: str, *, actor: Actor) -> auth.Session:
    """Set a new password and end every other session and JWT; returns a fresh session for the caller."""
    user = get_me(actor=actor)
    _check_password_attempt(user, current_password, "current_password")
    check_password(new_password, "new_password", personal=(user.email, user.name))
    if verify_password(user.password_hash, new_password):
        raise Invalid(
            _("Choose a password different from the current one."),
            fields={"new_password": _("Same as the current password.")},
        )
    user.password_hash = hash_password(new_password)
    # Every JWT and console session carries the version; bumping it invalidates them all at once.
    user.token_version = User.token_version + 1
    console_sessions.end_all(user.id)
    audit.record(actor, "user.password_changed", subject_type="user", subject_id=user.id)
    db.session.commit()
    db.session.refresh(user)
    return auth.issue_session(user)


def sole_owned_workspaces(user_id: int) -> list[Workspace]:
    """Workspaces where this user is the only owner (they would be left without one)."""
    owners = (
        select(Membership.workspace_id)
        .where(Membership.role == Role.OWNER)
        .group_by(Membership.workspace_id)
        .having(func.count(Membership.id) == 1)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(Workspace)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(
                Membership.user_id == user_id,
                Membership.role == Role.OWNER,
                Workspace.id.in_(select(owners.c.workspace_id)),
            )
            .order_by(Workspace.id)
        )
    )


def tombstone(user_id: int) -> str:
    return f"deleted user #{user_id}"


def delete_me(password: str, *, actor: Actor) -> None:
    """Delete the actor's account (memberships and tokens go); refused while they are a last owner."""
    user = get_me(actor=actor)
    _check_password_attempt(user, password, "password")
    # Lock the user's owner rows so a concurrent demotion of a co-owner cannot slip between check and delete.
    db.session.scalars(
        select(Membership.id).where(Membership.user_id == user.id, Membership.role == Role.OWNER).with_for_update()
    ).all()
    blocking = sole_owned_workspaces(user.id)
    if blocking:
        names = ", ".join(f"“{w.name}”" for w in blocking)
        raise Conflict(
            _(
                "You are the last owner of %(names)s; make someone else owner or delete the workspace first.",
                names=names,
            ),
            fields={"workspaces": names},
        )
    user_id, label = user.id, tombstone(user.id)
    # The email is personal data: the audit trail keeps a tombstone instead.
    db.session.execute(update(AuditEntry).where(AuditEntry.actor_user_id == user_id).values(actor_label=label))
    db.session.delete(user)
    db.session.flush()
    audit.record(
        Actor(user_id=None, door=actor.door, label=label), "user.deleted", subject_type="user", subject_id=user_id
    )
    db.session.commit()
