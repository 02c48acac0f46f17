"""Quota counters: guarded reservation, release, pacing, and the day in the workspace's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import db
from core.models import QuotaUsage, SocialAccount, Workspace
from core.services.outreach import quota
from tests.factories import make_account


@pytest.fixture
def account(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner, time_zone="America/Los_Angeles")
    with app.app_context():
        account_id = make_account(workspace["id"], daily_dm_quota=2).id
        ws = db.session.get(Workspace, workspace["id"])
        ws.settings = dict(ws.settings) | {"dm_min_gap_seconds": 0, "dm_gap_jitter_seconds": 0}
        db.session.commit()
        yield db.session.get(SocialAccount, account_id)


def test_limit_holds_and_release_gives_back(account):
    now = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    first, second, third = (quota.reserve(account, now) for _ in range(3))
    assert first.ok and second.ok and not third.ok
    assert third.reason.startswith("quota reached: 2/2 today") and third.wait_seconds > 0
    quota.release(account.id, second.day)
    assert quota.reserve(account, now).ok


def test_day_boundary_is_the_workspace_midnight(account):
    # Daylight time started on 8 March 2026 in Los Angeles: UTC-7.
    late = datetime(2026, 3, 11, 6, 30, tzinfo=UTC)  # 23:30 on 10 March in Los Angeles
    after_midnight = late + timedelta(hours=1)  # 00:30 on 11 March there, still 11 March in UTC
    assert quota.reserve(account, late).ok and quota.reserve(account, late).ok
    assert not quota.reserve(account, late + timedelta(minutes=20)).ok
    fresh = quota.reserve(account, after_midnight)
    assert fresh.ok and fresh.day.isoformat() == "2026-03-11" and fresh.used == 1
    days = {row.day.isoformat(): row.used for row in db.session.scalars(select(QuotaUsage))}
    assert days == {"2026-03-10": 2, "2026-03-11": 1}
    db.session.commit()
    assert quota.purge_past_days(after_midnight) == {"deleted": 1}


def test_pacing_spaces_sends(account):
    ws = db.session.get(Workspace, account.workspace_id)
    ws.settings = dict(ws.settings) | {"dm_min_gap_seconds": 60, "dm_gap_jitter_seconds": 0}
    db.session.commit()
    now = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert quota.reserve(account, now).ok
    paced = quota.reserve(account, now + timedelta(seconds=20))
    assert not paced.ok and paced.reason.startswith("paced") and 39 <= paced.wait_seconds <= 41
    assert quota.reserve(account, now + timedelta(seconds=61)).ok
