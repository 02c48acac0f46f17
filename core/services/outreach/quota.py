"""Daily DM quota per social account and pacing between sends, safe under any number of workers.

One guarded UPDATE reserves a unit (used < limit) and claims the pacing slot (last send far enough
back) at once; PostgreSQL re-checks the WHERE clause after a concurrent update, so the limit holds
whatever the number of workers. The day is the workspace's local day, kept on each counter row, so a
new day starts at 0 by itself; `purge_past_days` only tidies old rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.errors import QuotaExceeded
from core.i18n import _
from core.models import AccountStatus, QuotaUsage, SocialAccount, Workspace
from core.services.accounts.connected import effective_quota
from core.services.identity.access import require_role
from core.services.identity.actors import Actor
from core.services.workspaces import status as workspace_status
from core.services.workspaces.settings import read as read_settings


def local_day(workspace: Workspace, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(workspace.time_zone)).date()


def next_local_midnight(workspace: Workspace, now: datetime | None = None) -> datetime:
    zone = ZoneInfo(workspace.time_zone)
    tomorrow = (now or utcnow()).astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=zone)


def used_today(account: SocialAccount, now: datetime | None = None) -> int:
    day = local_day(account.workspace, now)
    row = db.session.get(QuotaUsage, (account.id, day), populate_existing=True)
    return row.used if row else 0


def message(used: int, limit: int) -> str:
    return _("quota reached: %(used)s/%(limit)s today", used=used, limit=limit)


def ensure_room(account: SocialAccount, now: datetime | None = None) -> None:
    """QuotaExceeded when today's quota is already used up (a courtesy check; sending enforces it)."""
    limit = effective_quota(account)
    used = used_today(account, now)
    if used >= limit:
        raise QuotaExceeded(message(used, limit))


@dataclass
class Reservation:
    ok: bool
    day: date
    used: int
    limit: int
    wait_seconds: float = 0.0  # > 0 when the send must wait: pacing or tomorrow's quota
    reason: str | None = None


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(QuotaUsage)


def reserve(account: SocialAccount, now: datetime | None = None) -> Reservation:
    """Take one unit of today's quota and the pacing slot, or say how long to wait (caller commits)."""
    now = now or utcnow()
    workspace = account.workspace
    settings = read_settings(workspace.settings)
    day, limit, gap = local_day(workspace, now), effective_quota(account), settings.dm_min_gap_seconds
    db.session.execute(_insert().values(social_account_id=account.id, day=day, used=0).on_conflict_do_nothing())
    t = QuotaUsage.__table__
    guard = sa.and_(t.c.social_account_id == account.id, t.c.day == day, t.c.used < limit)
    if gap > 0:
        cutoff = now - timedelta(seconds=gap)
        guard = sa.and_(guard, sa.or_(t.c.last_sent_at.is_(None), t.c.last_sent_at <= cutoff))
    taken = db.session.execute(sa.update(t).where(guard).values(used=t.c.used + 1, last_sent_at=now)).rowcount
    row = db.session.execute(
        sa.select(t.c.used, t.c.last_sent_at).where(t.c.social_account_id == account.id, t.c.day == day)
    ).one()
    if taken == 1:
        return Reservation(True, day, row.used, limit)
    jitter = random.uniform(0, settings.dm_gap_jitter_seconds)
    if row.used >= limit:
        wait = (next_local_midnight(workspace, now) - now).total_seconds() + jitter
        return Reservation(False, day, row.used, limit, wait, message(row.used, limit) + "; waits for tomorrow")
    wait = max(1.0, (row.last_sent_at + timedelta(seconds=gap) - now).total_seconds()) + jitter
    return Reservation(
        False, day, row.used, limit, wait, f"paced: sends from @{account.username} are spaced by at least {gap}s"
    )


def release(account_id: int, day: date | None) -> None:
    """Give back a unit when the platform did not take the DM (caller commits)."""
    if day is None:
        return
    t = QuotaUsage.__table__
    db.session.execute(
        sa.update(t).where(t.c.social_account_id == account_id, t.c.day == day, t.c.used > 0).values(used=t.c.used - 1)
    )


def purge_past_days(now: datetime | None = None) -> dict[str, int]:
    """Delete counters whose day is over in their workspace's time zone (each active workspace)."""
    deleted = 0
    for workspace_id in workspace_status.active_workspace_ids():
        workspace = db.session.get(Workspace, workspace_id)
        accounts = sa.select(SocialAccount.id).where(SocialAccount.workspace_id == workspace_id)
        result = db.session.execute(
            sa.delete(QuotaUsage).where(
                QuotaUsage.social_account_id.in_(accounts), QuotaUsage.day < local_day(workspace, now)
            )
        )
        deleted += result.rowcount or 0
    db.session.commit()
    return {"deleted": deleted}


@dataclass
class Gauge:
    account: SocialAccount
    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.limit)) if self.limit else 100


def usage(workspace: Workspace, accounts: list[SocialAccount], now: datetime | None = None) -> list[Gauge]:
    """Today's use against quota of these accounts of `workspace`, in one query (caller checked access)."""
    used: dict[int, int] = {}
    if accounts:
        day = local_day(workspace, now)
        rows = db.session.execute(
            sa.select(QuotaUsage.social_account_id, QuotaUsage.used).where(
                QuotaUsage.social_account_id.in_([a.id for a in accounts]), QuotaUsage.day == day
            )
        )
        used = dict(rows.tuples().all())
    return [Gauge(a, used.get(a.id, 0), effective_quota(a)) for a in accounts]


def gauges(workspace_id: int, *, actor: Actor, now: datetime | None = None) -> list[Gauge]:
    """Today's use against quota of each account of the workspace that is not disconnected (members)."""
    workspace = require_role(workspace_id, actor)
    accounts = db.session.scalars(
        sa.select(SocialAccount)
        .where(SocialAccount.workspace_id == workspace_id, SocialAccount.status != AccountStatus.DISCONNECTED.value)
        .order_by(SocialAccount.id)
    )
    return usage(workspace, list(accounts), now)
