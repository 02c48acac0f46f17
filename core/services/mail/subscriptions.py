"""Who gets a mail they subscribed to (digest, alerts), and recording it once even if two schedulers run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import i18n
from core.db import db
from core.models import MailMessage, Membership, User, Workspace
from core.services.identity.users import NotificationPreferences, notifications_of
from core.services.mail import outbox, unsubscribe


def subscribers(switch: str) -> Iterator[tuple[User, NotificationPreferences, list[Workspace]]]:
    """Each person with `switch` on, not suspended, with the active workspaces they belong to."""
    rows = db.session.execute(
        select(User, Workspace)
        .join(Membership, Membership.user_id == User.id)
        .join(Workspace, Workspace.id == Membership.workspace_id)
        .where(User.suspended_at.is_(None), Workspace.suspended_at.is_(None))
        .order_by(User.id, Workspace.name, Workspace.id)
    ).all()
    grouped: dict[User, list[Workspace]] = defaultdict(list)
    for user, workspace in rows:
        grouped[user].append(workspace)
    for user, workspaces in grouped.items():
        preferences = notifications_of(user)
        if getattr(preferences, switch):
            yield user, preferences, workspaces


def already_sent(key: str) -> bool:
    return db.session.scalar(select(MailMessage.id).where(MailMessage.dedupe_key == key)) is not None


def record_once(kind: str, user: User, letter: outbox.Letter, *, switch: str, key: str, at: datetime) -> int | None:
    """Record the mail (dated `at`, the run's clock) under `key` with its unsubscribe link; None if taken."""
    try:
        with db.session.begin_nested():
            message = outbox.record(
                kind,
                user.email,
                letter,
                locale=i18n.normalise(user.locale) or i18n.DEFAULT,
                user_id=user.id,
                unsubscribe_url=unsubscribe.url_for(user, switch),
                dedupe_key=key,
            )
            message.created_at = at
            db.session.flush()
    except IntegrityError:  # another scheduler's run recorded it first
        return None
    return message.id
