"""The console's Interactions page: filters, Collect now (CSRF), last results, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_account, make_interaction, make_target


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def setup(app, factory, console, instagram_emulator):
    owner = factory.user()
    workspace_id = factory.workspace(owner, time_zone="Europe/Paris")["id"]
    ig_user_id = instagram_emulator.add_account(username="acme")
    token = instagram_emulator.issue_token(ig_user_id)
    post = instagram_emulator.add_media(ig_user_id, "drop", timestamp=datetime.now(UTC) - timedelta(days=1))
    instagram_emulator.add_comment(post, "how much?", "zed", "u-zed")
    with app.app_context():
        account = make_account(workspace_id, platform_user_id=ig_user_id, access_token=token, username="acme")
        person = make_target(account, username="olga", platform_user_id="u-olga")
        make_interaction(person, text="<b>bold</b> question", occurred_at=datetime(2026, 3, 1, 8, tzinfo=UTC))
        account_id = account.id
    console.login(owner.email)
    return {"owner": owner, "workspace_id": workspace_id, "account_id": account_id, "token": token}


def test_page_lists_interactions_and_escapes_text(console, setup):
    page = console.get(f"/w/{setup['workspace_id']}/interactions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "@olga" in html and "&lt;b&gt;bold&lt;/b&gt; question" in html and "<b>bold</b>" not in html
    assert "Mar 1, 2026, 9:00\u202fAM" in html  # shown in the workspace's time zone (Paris), as English writes it
    assert "Collect now" in html and f'href="/w/{setup["workspace_id"]}/interactions"' in html


def test_filters_apply_and_bad_ones_are_explained(console, setup):
    base = f"/w/{setup['workspace_id']}/interactions"
    assert "@olga" not in console.get(f"{base}?kind=mention").get_data(as_text=True)
    assert "@olga" in console.get(f"{base}?author=olga&since=2026-03-01T08:30").get_data(as_text=True)
    assert "@olga" not in console.get(f"{base}?since=2026-03-01T09:30").get_data(as_text=True)
    bad = console.get(f"{base}?kind=likes&since=soon")
    assert bad.status_code == 422
    assert "Use a date and time" in bad.get_data(as_text=True)


def test_collect_now_runs_and_shows_the_last_result(console, setup, instagram_emulator):
    page = f"/w/{setup['workspace_id']}/interactions"
    action = f"{page}/collect/{setup['account_id']}"
    response = console.post_form(page, {}, action=action, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Collected: 1 new" in html
    assert "@zed" in html  # the collected comment is listed
    assert setup["token"] not in html
    assert console.client.post(action).status_code == 400  # no CSRF token


def test_other_workspaces_are_404(console, setup, factory, app):
    stranger = factory.user()
    other_ws = factory.workspace(stranger, name="Theirs")["id"]
    with app.app_context():
        foreign_account = make_account(other_ws).id
    assert console.get(f"/w/{other_ws}/interactions").status_code == 404
    page = f"/w/{setup['workspace_id']}/interactions"
    assert console.post_form(page, {}, action=f"{page}/collect/{foreign_account}").status_code == 404
    assert (
        console.post_form(page, {}, action=f"/w/{other_ws}/interactions/collect/{foreign_account}").status_code == 404
    )
