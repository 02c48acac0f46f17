"""Hot-target alerts by mail, batched: at most one mail per person per 15 minutes, listing what turned hot."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from core.db import db, utcnow
from core.i18n import Text, _, ngettext
from core.models import MailMessage, Target, User, Workspace
from core.services.mail import outbox, subscriptions

KIND = "hot_alert"
SWITCH = "hot_target_alerts"
BATCH = timedelta(minutes=15)
# A first alert (or one after a long quiet spell) looks back this far, not to the beginning of time.
LOOK_BACK = timedelta(hours=24)
LISTED = 10


def _last_alert_at(user_id: int) -> datetime | None:
    return db.session.scalar(
        select(func.max(MailMessage.created_at)).where(MailMessage.user_id == user_id, MailMessage.kind == KIND)
    )


def _newly_hot(workspaces: list[Workspace], since: datetime, until: datetime) -> list[tuple[Workspace, Target]]:
    by_id = {w.id: w for w in workspaces}
    targets = db.session.scalars(
        select(Target)
        .where(
            Target.workspace_id.in_(by_id),
            Target.is_hot.is_(True),
            Target.hot_since > since,
            Target.hot_since <= until,
        )
        .order_by(Target.score.desc(), Target.id)
    ).all()
    return [(by_id[t.workspace_id], t) for t in targets]


def _line(workspace: Workspace, target: Target, base: str) -> Text:
    who = f"@{target.username}" if target.username else (target.display_name or "?")
    link = f"{base}/w/{workspace.id}/targets/{target.id}"
    return _(
        "%(who)s, score %(score)s, in %(workspace)s: %(link)s",
        who=who,
        score=target.score,
        workspace=workspace.name,
        link=link,
    )


def letter_for(user: User, hot: list[tuple[Workspace, Target]]) -> outbox.Letter:
    base = current_app.config["PUBLIC_URL"]
    lines: tuple[Text, ...] = tuple(_line(w, t, base) for w, t in hot[:LISTED])
    if len(hot) > LISTED:
        lines += (ngettext("and %(num)d more.", "and %(num)d more.", len(hot) - LISTED),)
    return outbox.Letter(
        subject=ngettext("%(num)d target turned hot", "%(num)d targets turned hot", len(hot)),
        paragraphs=(_("Hello %(name)s, these people are ready for a message:", name=user.name), lines),
    )


def record_due(now: datetime | None = None) -> list[int]:
    """Record one alert per subscriber for targets that turned hot since their last alert; commits.

    Nobody gets a second alert within 15 minutes of the last: what turns hot meanwhile waits for the
    next batch. The 15-minute window is in the key, so two schedulers record it once.
    """
    now = now or utcnow()
    made: list[int] = []
    for user, _preferences, workspaces in subscriptions.subscribers(SWITCH):
        last = _last_alert_at(user.id)
        if last is not None and now - last < BATCH:
            continue
        since = max(last or now - LOOK_BACK, now - LOOK_BACK)
        hot = _newly_hot(workspaces, since, now)
        if not hot:
            continue
        window = int(now.timestamp() // BATCH.total_seconds())
        message_id = subscriptions.record_once(
            KIND, user, letter_for(user, hot), switch=SWITCH, key=f"hot:{user.id}:{window}", at=now
        )
        if message_id is not None:
            made.append(message_id)
    db.session.commit()
    return made
