"""Dashboard numbers: grouped per local day of the workspace, counted once, scoped to the workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import db
from core.errors import NotFound
from core.models import DirectMessage, Door, Lead, QuotaUsage
from core.services.identity.actors import Actor
from core.services.workspaces import dashboard
from tests.factories import make_account, make_interaction, make_target

# 10:00 UTC on 20 March 2024 = 11:00 in Paris; Paris moved to summer time on 31 March.
NOW = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def ws(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner, time_zone="Europe/Paris")
    stranger = factory.user()
    other = factory.workspace(stranger, name="Other")
    with app.app_context():
        yield {
            "id": workspace["id"],
            "owner": Actor(user_id=owner.user["id"], door=Door.CONSOLE, label=owner.email),
            "stranger": Actor(user_id=stranger.user["id"], door=Door.CONSOLE, label=stranger.email),
            "other_id": other["id"],
        }


def _dm(account, target, status: str, **fields) -> DirectMessage:
    dm = DirectMessage(
        workspace_id=account.workspace_id,
        social_account_id=account.id,
        target_id=target.id,
        kind="message",
        text="hello",
        status=status,
        **fields,
    )
    db.session.add(dm)
    db.session.commit()
    return dm


def test_local_midnights_follow_the_time_zone_across_dst():
    midnights = dashboard.local_midnights("Europe/Paris", 4, NOW)
    assert [m.astimezone(UTC).hour for m in midnights] == [23, 23, 22, 22, 22]  # winter, then summer time
    assert [m.date().isoformat() for m in midnights] == [
        "2024-03-30",
        "2024-03-31",
        "2024-04-01",
        "2024-04-02",
        "2024-04-03",
    ]


def test_series_are_grouped_by_local_day(ws):
    account = make_account(ws["id"])
    alice, bob = make_target(account, username="alice"), make_target(account, username="bob")
    # 22:30 UTC on 1 April is already 2 April in Paris (summer time, UTC+2).
    make_interaction(alice, kind="comment", occurred_at=datetime(2024, 4, 1, 22, 30, tzinfo=UTC))
    make_interaction(alice, kind="reply", occurred_at=datetime(2024, 4, 1, 21, 30, tzinfo=UTC))
    make_interaction(bob, kind="message", occurred_at=datetime(2024, 4, 2, 8, 0, tzinfo=UTC))
    make_interaction(bob, kind="story_mention", occurred_at=datetime(2024, 3, 27, 12, 0, tzinfo=UTC))
    make_interaction(bob, kind="comment", occurred_at=NOW - timedelta(days=40))  # before the range
    _dm(
        account,
        alice,
        "sent",
        sent_at=datetime(2024, 4, 1, 23, 0, tzinfo=UTC),
        replied_at=datetime(2024, 4, 2, 9, 0, tzinfo=UTC),
    )
    _dm(account, bob, "sent", sent_at=datetime(2024, 3, 31, 12, 0, tzinfo=UTC))
    _dm(account, bob, "draft")

    board = dashboard.build(ws["id"], actor=ws["owner"], days=7, now=NOW)

    assert [d.isoformat() for d in board.days][-2:] == ["2024-04-01", "2024-04-02"]
    assert board.interactions["comments"][-2:] == [1, 1]
    assert board.interactions["messages"][-1] == 1
    assert board.interactions["mentions"] == [1, 0, 0, 0, 0, 0, 0]  # 27 March, the first day
    assert board.totals["interactions"] == 4
    assert board.dms_sent == [0, 0, 0, 0, 1, 0, 1]
    assert board.replies == [0, 0, 0, 0, 0, 0, 1]
    assert board.drafts_waiting == 1


def test_hot_targets_scores_quota_and_funnel(ws):
    account = make_account(ws["id"], username="shop", daily_dm_quota=20)
    targets = [
        make_target(account, username=f"p{score}", score=score, is_hot=score >= 70, hot_since=NOW)
        for score in (5, 15, 72, 88, 100)
    ]
    make_target(account, username="gone", score=95, is_hot=True, opted_out_at=NOW)
    for target, status in zip(targets, ["new", "contacted", "replied", "won", "lost"], strict=True):
        db.session.add(Lead(workspace_id=ws["id"], target_id=target.id, status=status, source="manual"))
    today = NOW.astimezone(dashboard.ZoneInfo("Europe/Paris")).date()
    db.session.add(QuotaUsage(social_account_id=account.id, day=today, used=7))
    db.session.add(QuotaUsage(social_account_id=account.id, day=today - timedelta(days=1), used=19))
    db.session.commit()

    board = dashboard.build(ws["id"], actor=ws["owner"], now=NOW)

    assert [t.username for t in board.hot_targets] == ["p100", "p88", "p72"]  # the opted-out one is left out
    assert board.hot_count == 3
    assert board.score_buckets == [1, 1, 0, 0, 0, 0, 0, 1, 1, 1]  # 100 lands in the top bucket
    assert board.leads_by_status == {"new": 1, "contacted": 1, "replied": 1, "qualified": 0, "won": 1, "lost": 1}
    assert board.funnel == [("new", 4), ("contacted", 3), ("replied", 2), ("qualified", 1), ("won", 1)]
    [quota] = board.quotas
    assert (quota.account.username, quota.used, quota.limit, quota.percent) == ("shop", 7, 20, 35)


def test_another_workspace_is_not_found(ws):
    with pytest.raises(NotFound):
        dashboard.build(ws["id"], actor=ws["stranger"])
    make_account(ws["other_id"])
    board = dashboard.build(ws["id"], actor=ws["owner"])
    assert board.accounts_total == 0 and board.quotas == []
