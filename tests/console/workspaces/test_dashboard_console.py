"""The dashboard page: next steps on an empty workspace, numbers and SVG charts once there is data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.models import DirectMessage, Lead
from tests.factories import make_account, make_interaction, make_target


@pytest.fixture
def team(app, factory, console):
    team = factory.rivals(owner_name="Olivia Owner", time_zone="Europe/Paris")
    console.login(team["owner"].email)
    return team


def test_empty_workspace_says_to_connect_an_account(team, console):
    html = console.get(f"/w/{team['ws']}").get_data(as_text=True)
    assert "Start here: connect an account" in html
    assert f'href="/w/{team["ws"]}/accounts"' in html
    assert 'role="img"' not in html  # no empty charts, a sentence instead
    assert 'class="active" aria-current="page">Dashboard</a>' in html


def test_connected_account_without_data_says_to_collect(app, team, console):
    with app.app_context():
        make_account(team["ws"])
    html = console.get(f"/w/{team['ws']}").get_data(as_text=True)
    assert "Next step: collect" in html and "Start here" not in html


def test_dashboard_shows_hot_targets_quota_and_charts(app, team, console):
    with app.app_context():
        account = make_account(team["ws"], username="acme.shop", daily_dm_quota=30)
        hot = make_target(
            account,
            username="hot_hannah",
            score=91,
            is_hot=True,
            hot_since=utcnow(),
            score_reasons=["asked for the price 2 days ago"],
        )
        cold = make_target(account, username="cold_carl", score=12)
        for days in range(5):
            make_interaction(hot, kind="comment", occurred_at=utcnow() - timedelta(days=days))
        make_interaction(cold, kind="message", text="hi <script>alert(1)</script>")
        db.session.add(
            DirectMessage(
                workspace_id=team["ws"],
                social_account_id=account.id,
                target_id=hot.id,
                kind="private_reply",
                text="Hi!",
                status="sent",
                sent_at=utcnow(),
                replied_at=utcnow(),
            )
        )
        db.session.add(
            DirectMessage(
                workspace_id=team["ws"],
                social_account_id=account.id,
                target_id=cold.id,
                kind="message",
                text="Hello",
                status="draft",
            )
        )
        db.session.add(Lead(workspace_id=team["ws"], target_id=hot.id, status="qualified", source="manual"))
        db.session.commit()

    page = console.get(f"/w/{team['ws']}?days=30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "@hot_hannah" in html and "asked for the price 2 days ago" in html and "@cold_carl" not in html
    assert "0 / 30" in html  # today's quota of @acme.shop
    assert html.count('role="img"') == 4  # interactions, DMs and replies, scores, funnel
    # The funnel says what its bars count, so "New 1" beside a lost lead is not a puzzle.
    assert "Each bar counts the leads that reached that stage or went further." in html
    assert "comments: 5 in total" in html and "messages: 1 in total" in html
    assert "DMs sent: 1 in total; replies: 1 in total" in html
    assert 'aria-current="true" class="active">30 days' in html
    assert "<script>alert" not in html  # texts are escaped
    assert "Start here" not in html and "Next step" not in html


def test_foreign_workspace_dashboard_is_404(team, console):
    assert console.get(f"/w/{team['other']}").status_code == 404
