"""The approval queue: drafts ordered by urgency (the window that closes soonest first, to the minute, then
the person's score), each with its deadline and, when it cannot be approved now, the reason in words.

Deadlines follow the sending rules: a private reply until 7 days after its comment, a message until
24 hours after the person's last message. Drafts whose window has closed go last: nothing can save them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from core.db import db, utcnow
from core.models import DirectMessage, DmKind, DmStatus, Interaction, SocialAccount, Target
from core.services.identity.access import require_role
from core.services.identity.actors import Actor
from core.services.outreach import eligibility, quota

MAX_ROWS = 200


@dataclass
class QueueRow:
    dm: DirectMessage
    target: Target
    account: SocialAccount
    closes_at: datetime | None
    blocked: str | None  # why Approve is disabled now; None when it may be approved

    def seconds_left(self, now: datetime) -> float | None:
        return None if self.closes_at is None else (self.closes_at - now).total_seconds()


@dataclass
class ApprovalQueue:
    rows: list[QueueRow]
    gauges: list[quota.Gauge]
    total: int  # drafts waiting, shown or not
    now: datetime

    @property
    def remaining(self) -> int:
        return sum(g.remaining for g in self.gauges)


def _deadline(kind: str, comment_at: datetime | None, last_message_at: datetime | None) -> datetime | None:
    if kind == DmKind.PRIVATE_REPLY.value:
        return comment_at + eligibility.PRIVATE_REPLY_WINDOW if comment_at else None
    return last_message_at + eligibility.MESSAGE_WINDOW if last_message_at else None


def _blocked(row: QueueRow, room: dict[int, quota.Gauge], now: datetime) -> str | None:
    try:
        eligibility.check_sender(row.account)
    except eligibility.Ineligible as exc:
        return exc.message
    if row.target.opted_out_at is not None:
        return "This person asked not to be contacted (opt-out)."
    if row.closes_at is None:
        if row.dm.kind == DmKind.PRIVATE_REPLY.value:
            return "The comment this DM answers is no longer stored; no private reply is possible."
        return "The person never messaged the account; Instagram allows no message."
    if row.closes_at <= now:
        if row.dm.kind == DmKind.PRIVATE_REPLY.value:
            return "Window closed: the comment is older than 7 days, so Instagram allows no private reply."
        return "Window closed: the person's last message is more than 24 hours old."
    gauge = room.get(row.account.id)
    if gauge is not None and gauge.remaining <= 0:
        return f"Today's quota is used up for @{row.account.username} ({gauge.used}/{gauge.limit})."
    return None


def queue(workspace_id: int, *, actor: Actor, now: datetime | None = None, limit: int = MAX_ROWS) -> ApprovalQueue:
    """The workspace's drafts, most urgent first, with today's quota per account (members)."""
    now = now or utcnow()
    workspace = require_role(workspace_id, actor)
    # Light rows first (ids, deadlines, score) for every draft, so the order is right beyond the shown page.
    light = db.session.execute(
        select(
            DirectMessage.id,
            DirectMessage.kind,
            Interaction.occurred_at,
            Target.last_inbound_message_at,
            Target.score,
        )
        .join(Target, Target.id == DirectMessage.target_id)
        .outerjoin(
            Interaction,
            and_(
                Interaction.social_account_id == DirectMessage.social_account_id,
                Interaction.platform_id == DirectMessage.comment_platform_id,
            ),
        )
        .where(DirectMessage.workspace_id == workspace_id, DirectMessage.status == DmStatus.DRAFT.value)
    ).all()
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def urgency(row) -> tuple:
        closes = _deadline(row.kind, row.occurred_at, row.last_inbound_message_at)
        still_open = closes is not None and closes > now
        # To the minute: deadlines in the same minute are equally urgent, and the higher score goes first.
        soon = closes.replace(second=0, microsecond=0) if still_open else far
        return (0 if still_open else 1, soon, -(row.score or 0), row.id)

    ordered = sorted(light, key=urgency)[:limit]
    ids = [r.id for r in ordered]
    dm_by_id = {dm.id: dm for dm in db.session.scalars(select(DirectMessage).where(DirectMessage.id.in_(ids)))}
    targets = {
        t.id: t
        for t in db.session.scalars(select(Target).where(Target.id.in_({d.target_id for d in dm_by_id.values()})))
    }
    accounts = {
        a.id: a
        for a in db.session.scalars(
            select(SocialAccount).where(SocialAccount.id.in_({d.social_account_id for d in dm_by_id.values()}))
        )
    }
    room = {g.account.id: g for g in quota.usage(workspace, list(accounts.values()), now)}
    rows = []
    for light_row in ordered:
        dm = dm_by_id[light_row.id]
        row = QueueRow(
            dm,
            targets[dm.target_id],
            accounts[dm.social_account_id],
            _deadline(light_row.kind, light_row.occurred_at, light_row.last_inbound_message_at),
            None,
        )
        row.blocked = _blocked(row, room, now)
        rows.append(row)
    return ApprovalQueue(rows, quota.gauges(workspace_id, actor=actor, now=now), len(light), now)
