"""The settings hub: one page that leads to every setting of the workspace, and still saves the workspace's own."""

from __future__ import annotations

import pytest

from tests.conftest import Console


@pytest.fixture
def team(app, factory, console):
    owner = factory.user()
    workspace = factory.workspace(owner, time_zone="UTC")
    member = factory.member(owner, workspace["id"])
    console.login(owner.email)
    return {"ws": workspace["id"], "member": member}


def test_hub_links_every_setting(app, team, console):
    wid = team["ws"]
    html = console.get(f"/w/{wid}/settings").get_data(as_text=True)
    for href in (
        f"/w/{wid}/members",
        f"/w/{wid}/accounts",
        f"/w/{wid}/jobs",
        "/account#h-tokens",
        "#workspace",
    ):
        assert f'href="{href}"' in html, href
    for endpoint, label in (
        ("web.scoring_settings", "Scoring"),
        ("web.workspace_integrations", "Integrations"),
        ("web.chat_settings", "Slack and Telegram"),
    ):
        if endpoint in app.view_functions:  # each feature's page, when it is installed
            assert f"<strong>{label}</strong>" in html
    assert 'aria-current="page">Settings</a>' in html or 'class="active">Settings</a>' in html


def test_workspace_section_still_saves(team, console):
    wid = team["ws"]
    form = {
        "name": "Acme EU",
        "time_zone": "Europe/Paris",
        "default_daily_dm_quota": "40",
        "collection_look_back_days": "30",
    }
    response = console.post_form(f"/w/{wid}/settings", form, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Settings saved." in html and "selected>Europe/Paris</option>" in html
    bad = console.post_form(f"/w/{wid}/settings", form | {"default_daily_dm_quota": "0"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)


def test_members_see_the_hub_read_only(app, team):
    console = Console(app.test_client())
    console.login(team["member"].email)
    html = console.get(f"/w/{team['ws']}/settings").get_data(as_text=True)
    assert "Only owners and admins can change settings." in html and "<fieldset disabled>" in html
    assert f'href="/w/{team["ws"]}/members"' in html
