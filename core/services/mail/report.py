"""The operators' view of mail: what was sent and what failed in the last hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import MailMessage
from core.services.identity.actors import Actor
from core.services.operators.admin import require_platform_admin


@dataclass(frozen=True)
class MailReport:
    since: datetime
    counts: dict[str, int]
    messages: list[MailMessage]


def recent(*, actor: Actor, hours: int = 24, limit: int = 200) -> MailReport:
    """Mail of the last `hours` for platform operators: counts by status and the latest messages."""
    require_platform_admin(actor)
    since = utcnow() - timedelta(hours=hours)
    counts = dict(
        db.session.execute(
            select(MailMessage.status, func.count()).where(MailMessage.created_at >= since).group_by(MailMessage.status)
        ).all()
    )
    messages = db.session.scalars(
        select(MailMessage).where(MailMessage.created_at >= since).order_by(MailMessage.id.desc()).limit(limit)
    ).all()
    return MailReport(since, counts, list(messages))
