"""The daily digest by mail: per member, at their chosen hour in their time zone, about their workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from core import formatting, i18n
from core.db import db, utcnow
from core.i18n import Text, _, ngettext
from core.models import DirectMessage, DmStatus, Target, User, Workspace
from core.services.chat.digest import numbers
from core.services.mail import outbox, subscriptions

KIND = "digest"
SWITCH = "email_digest"
TOP_HOT = 5


@dataclass(frozen=True)
class Section:
    """One workspace's day: what the digest says about it."""

    workspace: Workspace
    hot: int
    hot_names: list[str]
    awaiting_approval: int
    replies: int
    leads_moved: int

    @property
    def has_news(self) -> bool:
        return any((self.hot, self.awaiting_approval, self.replies, self.leads_moved))

    def lines(self) -> tuple[Text | str, ...]:
        """The workspace's name, its numbers (the hottest targets among them), then the link to them."""
        lines: list[Text | str] = [
            ngettext("%(num)d new hot target", "%(num)d new hot targets", self.hot),
            ngettext("%(num)d DM awaiting approval", "%(num)d DMs awaiting approval", self.awaiting_approval),
            ngettext("%(num)d reply", "%(num)d replies", self.replies),
            ngettext("%(num)d lead moved", "%(num)d leads moved", self.leads_moved),
        ]
        if self.hot_names:
            lines.insert(1, _("Hottest: %(names)s", names=", ".join(self.hot_names)))
        link = f"{current_app.config['PUBLIC_URL']}/w/{self.workspace.id}/targets?hot_only=on"
        return (self.workspace.name, *lines, link)


def section(workspace: Workspace, since: datetime) -> Section:
    counts = numbers(workspace.id, since)
    hottest = db.session.execute(
        select(Target.username, Target.display_name, Target.score)
        .where(Target.workspace_id == workspace.id, Target.is_hot.is_(True), Target.hot_since >= since)
        .order_by(Target.score.desc(), Target.id)
        .limit(TOP_HOT)
    ).all()
    awaiting = db.session.scalar(
        select(func.count())
        .select_from(DirectMessage)
        .where(DirectMessage.workspace_id == workspace.id, DirectMessage.status == DmStatus.DRAFT.value)
    )
    return Section(
        workspace=workspace,
        hot=counts["hot"],
        hot_names=[f"{_handle(username, name)} ({score})" for username, name, score in hottest],
        awaiting_approval=int(awaiting or 0),
        replies=counts["replies"],
        leads_moved=counts["leads_moved"],
    )


def _handle(username: str | None, display_name: str | None) -> str:
    return f"@{username}" if username else (display_name or "?")


def letter_for(user: User, sections: list[Section], day: date) -> outbox.Letter:
    locale = i18n.normalise(user.locale) or i18n.DEFAULT
    return outbox.Letter(
        subject=_("Your VistaFlow digest for %(day)s", day=formatting.date_text(day, locale)),
        paragraphs=(
            _("Hello %(name)s, here is the last 24 hours in your workspaces:", name=user.name),
            *(s.lines() for s in sections),
        ),
    )


def record_due(now: datetime | None = None) -> list[int]:
    """Record today's digest for each subscriber whose local hour is their digest hour; commits.

    The local day is in the key, so running every 15 minutes (or on two schedulers) sends one a day.
    A day with nothing to tell sends nothing.
    """
    now = now or utcnow()
    since = now - timedelta(hours=24)
    made: list[int] = []
    for user, preferences, workspaces in subscriptions.subscribers(SWITCH):
        local = now.astimezone(ZoneInfo(user.time_zone or "UTC"))
        key = f"digest:{user.id}:{local.date().isoformat()}"
        if local.hour != preferences.digest_hour or subscriptions.already_sent(key):
            continue
        sections = [s for s in (section(w, since) for w in workspaces) if s.has_news]
        if not sections:
            continue
        message_id = subscriptions.record_once(
            KIND, user, letter_for(user, sections, local.date()), switch=SWITCH, key=key, at=now
        )
        if message_id is not None:
            made.append(message_id)
    db.session.commit()
    return made
