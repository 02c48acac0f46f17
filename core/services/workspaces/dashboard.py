"""The workspace dashboard: what needs attention now, and the last weeks in numbers.

Every series is one grouped query. Days are the workspace's local days: each row is put in its
day by comparing its timestamp with the UTC instants of the local midnights (a CASE over the
boundaries), which is exact across DST changes and the same SQL on PostgreSQL and SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.db import db, utcnow
from core.models import (
    AccountStatus,
    DirectMessage,
    DmStatus,
    Interaction,
    Lead,
    LeadStatus,
    Role,
    SocialAccount,
    Target,
    Workspace,
)
from core.platforms.sandbox import is_sandbox
from core.services.conversations import reports
from core.services.identity.access import require_role
from core.services.identity.actors import Actor
from core.services.outreach import quota

RANGES = (7, 14, 30)
DEFAULT_DAYS = 14
HOT_LIMIT = 8
# Chart series: interaction kinds folded into what a person calls them.
KIND_GROUPS = {
    "comment": "comments",
    "reply": "comments",
    "mention": "mentions",
    "story_mention": "mentions",
    "message": "messages",
    "story_reply": "messages",
}
SERIES = ("comments", "mentions", "messages")
PIPELINE = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.REPLIED, LeadStatus.QUALIFIED, LeadStatus.WON)
SCORE_BUCKETS = 10  # 0-9, 10-19, ..., 90-100


@dataclass
class Dashboard:
    workspace: Workspace
    days: list[date]
    interactions: dict[str, list[int]]
    dms_sent: list[int]
    replies: list[int]
    score_buckets: list[int]
    leads_by_status: dict[str, int]
    funnel: list[tuple[str, int]]
    hot_targets: list[Target]
    hot_count: int
    drafts_waiting: int
    quotas: list[quota.Gauge]
    accounts_connected: int
    accounts_total: int
    targets_total: int
    responses: reports.Responses | None = None
    totals: dict[str, int] = field(default_factory=dict)
    sandbox_accounts: list[str] = field(default_factory=list)

    @property
    def has_interactions(self) -> bool:
        return self.targets_total > 0 or any(sum(v) for v in self.interactions.values())


def local_midnights(time_zone: str, days: int, now: datetime) -> list[datetime]:
    """The UTC instants at which each of the last `days` local days began, plus tomorrow's midnight."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    return [datetime.combine(first + timedelta(days=i), time(0), tzinfo=zone) for i in range(days + 1)]


def day_index(column: sa.ColumnElement, midnights: list[datetime]) -> sa.ColumnElement:
    """SQL: which local day (0 = oldest) a timestamp falls in; -1 outside the range."""
    whens = [(column >= midnights[i], i) for i in range(len(midnights) - 2, -1, -1)]
    return sa.case(*whens, else_=-1)


def _in_range(column: sa.ColumnElement, midnights: list[datetime]) -> sa.ColumnElement:
    return sa.and_(column >= midnights[0], column < midnights[-1])


def _per_day(column, midnights: list[datetime], *where) -> list[int]:
    bucket = day_index(column, midnights).label("d")
    rows = db.session.execute(
        sa.select(bucket, sa.func.count()).where(*where, _in_range(column, midnights)).group_by(bucket)
    )
    series = [0] * (len(midnights) - 1)
    for index, count in rows:
        if 0 <= index < len(series):
            series[index] = count
    return series


def _interactions(workspace_id: int, midnights: list[datetime]) -> dict[str, list[int]]:
    bucket = day_index(Interaction.occurred_at, midnights).label("d")
    rows = db.session.execute(
        sa.select(Interaction.kind, bucket, sa.func.count())
        .where(Interaction.workspace_id == workspace_id, _in_range(Interaction.occurred_at, midnights))
        .group_by(Interaction.kind, bucket)
    )
    series = {name: [0] * (len(midnights) - 1) for name in SERIES}
    for kind, index, count in rows:
        name = KIND_GROUPS.get(kind)
        if name and 0 <= index < len(midnights) - 1:
            series[name][index] += count
    return series


def _score_buckets(workspace_id: int) -> list[int]:
    bucket = (Target.score // 10).label("b")
    rows = db.session.execute(
        sa.select(bucket, sa.func.count())
        .where(Target.workspace_id == workspace_id, Target.opted_out_at.is_(None))
        .group_by(bucket)
    )
    buckets = [0] * SCORE_BUCKETS
    for index, count in rows:
        buckets[min(max(int(index or 0), 0), SCORE_BUCKETS - 1)] += count
    return buckets


def _leads_by_status(workspace_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Lead.status, sa.func.count()).where(Lead.workspace_id == workspace_id).group_by(Lead.status)
    )
    counts = {s.value: 0 for s in LeadStatus}
    for status, count in rows:
        counts[status] = count
    return counts


def funnel_of(leads_by_status: dict[str, int]) -> list[tuple[str, int]]:
    """Leads that reached each stage of the pipeline (at or beyond it); lost leads are left out."""
    stages = []
    for i, stage in enumerate(PIPELINE):
        stages.append((stage.value, sum(leads_by_status.get(s.value, 0) for s in PIPELINE[i:])))
    return stages


def build(workspace_id: int, *, actor: Actor, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, for a member of the workspace (read only)."""
    workspace = require_role(workspace_id, actor, Role.MEMBER)
    days = days if days in RANGES else DEFAULT_DAYS
    now = now or utcnow()
    midnights = local_midnights(workspace.time_zone, days, now)
    accounts = list(
        db.session.scalars(
            sa.select(SocialAccount).where(SocialAccount.workspace_id == workspace_id).order_by(SocialAccount.id)
        )
    )
    hot_filter = (Target.workspace_id == workspace_id, Target.is_hot, Target.opted_out_at.is_(None))
    hot_targets = list(
        db.session.scalars(
            sa.select(Target).where(*hot_filter).order_by(Target.score.desc(), Target.id.desc()).limit(HOT_LIMIT)
        )
    )
    hot_count = db.session.scalar(sa.select(sa.func.count()).select_from(Target).where(*hot_filter)) or 0
    targets_total = (
        db.session.scalar(sa.select(sa.func.count()).select_from(Target).where(Target.workspace_id == workspace_id))
        or 0
    )
    drafts = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(DirectMessage)
            .where(DirectMessage.workspace_id == workspace_id, DirectMessage.status == DmStatus.DRAFT.value)
        )
        or 0
    )
    in_workspace = DirectMessage.workspace_id == workspace_id
    dms_sent = _per_day(DirectMessage.sent_at, midnights, in_workspace)
    replies = _per_day(DirectMessage.replied_at, midnights, in_workspace)
    interactions = _interactions(workspace_id, midnights)
    leads = _leads_by_status(workspace_id)
    return Dashboard(
        workspace=workspace,
        days=[m.date() for m in midnights[:-1]],
        interactions=interactions,
        dms_sent=dms_sent,
        replies=replies,
        score_buckets=_score_buckets(workspace_id),
        leads_by_status=leads,
        funnel=funnel_of(leads),
        hot_targets=hot_targets,
        hot_count=hot_count,
        drafts_waiting=drafts,
        quotas=quota.usage(workspace, [a for a in accounts if a.status != AccountStatus.DISCONNECTED.value], now),
        accounts_connected=sum(a.status == AccountStatus.CONNECTED.value for a in accounts),
        accounts_total=len(accounts),
        targets_total=targets_total,
        sandbox_accounts=[a.username for a in accounts if is_sandbox(a)],
        responses=reports.responses(workspace_id, actor=actor, since=midnights[0], until=midnights[-1]),
        totals={
            "interactions": sum(sum(v) for v in interactions.values()),
            "dms_sent": sum(dms_sent),
            "replies": sum(replies),
            "leads": sum(leads.values()),
            "won": leads.get(LeadStatus.WON.value, 0),
        },
    )
