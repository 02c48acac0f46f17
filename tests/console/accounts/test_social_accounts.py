"""/social-accounts list, PATCH, DELETE and the console Accounts page: roles, isolation, no tokens."""

from __future__ import annotations

import json

import pytest

from tests.social import load_account, seed_account

TOKEN = "IGAA-super-secret-access-token-xyz"


@pytest.fixture
def team(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    admin = factory.member(owner, workspace["id"], "admin")
    member = factory.member(owner, workspace["id"], "member")
    account_id = seed_account(app, workspace["id"], token=TOKEN)
    return {"owner": owner, "admin": admin, "member": member, "workspace": workspace, "account_id": account_id}


def test_list_shows_status_quota_and_no_token(team):
    response = team["member"].get(f"/social-accounts/workspace/{team['workspace']['id']}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["username"] == "acme.shop" and item["platform"] == "instagram"
    assert item["status"] == "connected" and item["paused"] is False
    assert item["daily_dm_quota"] == 50 and item["daily_dm_quota_is_default"] is True
    assert item["token_expires_at"] is not None
    raw = json.dumps(body)
    assert TOKEN not in raw and "v1:" not in raw and "token_encrypted" not in raw


def test_list_is_keyset_paginated(app, team):
    for n in range(3):
        seed_account(app, team["workspace"]["id"], username=f"extra{n}")
    first = team["owner"].get(f"/social-accounts/workspace/{team['workspace']['id']}?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = (
        team["owner"]
        .get(f"/social-accounts/workspace/{team['workspace']['id']}?limit=2&cursor={first['next_cursor']}")
        .get_json()
    )
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in rest["items"]})


def test_admin_sets_quota_and_pause_and_can_reset_to_default(team):
    path = f"/social-accounts/{team['account_id']}"
    response = team["admin"].patch(path, json={"daily_dm_quota": 120, "paused": True})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["daily_dm_quota"] == 120 and response.get_json()["paused"] is True
    response = team["admin"].patch(path, json={"daily_dm_quota": None})
    assert response.get_json()["daily_dm_quota"] == 50 and response.get_json()["daily_dm_quota_is_default"]
    assert response.get_json()["paused"] is True


@pytest.mark.parametrize("quota", [0, 1001, -5])
def test_quota_out_of_range_names_the_field(team, quota):
    response = team["owner"].patch(f"/social-accounts/{team['account_id']}", json={"daily_dm_quota": quota})
    assert response.status_code == 422
    assert "daily_dm_quota" in response.get_json()["error"]["fields"]


def test_unknown_patch_field_is_refused(team):
    response = team["owner"].patch(f"/social-accounts/{team['account_id']}", json={"access_token": "x"})
    assert response.status_code == 422
    assert "access_token" in response.get_json()["error"]["fields"]


def test_member_cannot_patch_or_disconnect(team):
    assert team["member"].patch(f"/social-accounts/{team['account_id']}", json={"paused": True}).status_code == 403
    assert team["member"].delete(f"/social-accounts/{team['account_id']}").status_code == 403


def test_member_cannot_get_an_auth_url(team):
    response = team["member"].get(f"/social-accounts/instagram/auth-url?workspaceId={team['workspace']['id']}")
    assert response.status_code == 403


def test_disconnect_drops_tokens_and_keeps_the_row(app, team):
    response = team["owner"].delete(f"/social-accounts/{team['account_id']}")
    assert response.status_code == 204
    account = load_account(app, team["account_id"])
    assert account.status == "disconnected"
    assert account.access_token_encrypted is None and account.refresh_token_encrypted is None
    listed = team["owner"].get(f"/social-accounts/workspace/{team['workspace']['id']}").get_json()["items"]
    assert [a["status"] for a in listed] == ["disconnected"]


def test_another_workspace_is_404_on_every_route(app, factory, team):
    stranger = factory.user()
    other = factory.workspace(stranger, name="Other")
    their_account = seed_account(app, other["id"], username="theirs")
    ours, wid = team["account_id"], team["workspace"]["id"]
    owner = team["owner"]
    assert owner.get(f"/social-accounts/workspace/{other['id']}").status_code == 404
    assert owner.patch(f"/social-accounts/{their_account}", json={"paused": True}).status_code == 404
    assert owner.delete(f"/social-accounts/{their_account}").status_code == 404
    assert owner.get(f"/social-accounts/instagram/auth-url?workspaceId={other['id']}").status_code == 404
    assert owner.get(f"/social-accounts/tiktok/auth-url?workspaceId={other['id']}").status_code == 404
    # ... and exactly like an id that does not exist at all
    assert (
        owner.patch("/social-accounts/999999", json={"paused": True}).get_json()
        == owner.patch(f"/social-accounts/{their_account}", json={"paused": True}).get_json()
    )
    assert stranger.get(f"/social-accounts/workspace/{wid}").status_code == 404
    assert stranger.delete(f"/social-accounts/{ours}").status_code == 404
    assert load_account(app, their_account).status == "connected"
    assert load_account(app, ours).status == "connected"


def test_routes_need_a_token(client, team):
    assert client.get(f"/social-accounts/workspace/{team['workspace']['id']}").status_code == 401
    assert client.delete(f"/social-accounts/{team['account_id']}").status_code == 401


# ------------------------------------------------------------------ console page


def test_console_page_shows_badges_reconnect_and_no_token(app, console, team):
    seed_account(
        app, team["workspace"]["id"], username="broken.one", token="IGAA-other-secret", status="needs_reconnect"
    )
    seed_account(
        app,
        team["workspace"]["id"],
        platform="tiktok",
        username="acme.tt",
        token="act.tiktok-secret",
        refresh_token="rft.tiktok-refresh-secret",
    )
    console.login(team["owner"].email)
    response = console.get(f"/w/{team['workspace']['id']}/accounts")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Connect Instagram" in html and "Connect TikTok" in html
    assert "Connected" in html and "Needs reconnect" in html and "Reconnect Instagram" in html
    assert "@acme.shop" in html and "@acme.tt" in html
    for secret in (TOKEN, "IGAA-other-secret", "act.tiktok-secret", "rft.tiktok-refresh-secret", "v1:k1:"):
        assert secret not in html
    assert 'href="/w/{}/accounts"'.format(team["workspace"]["id"]) in html  # sidebar entry


def test_console_empty_state_tells_what_to_do(console, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    console.login(owner.email)
    html = console.get(f"/w/{workspace['id']}/accounts").get_data(as_text=True)
    assert "No account connected yet" in html and "Connect Instagram" in html


def test_console_member_sees_no_connect_buttons(console, team):
    console.login(team["member"].email)
    html = console.get(f"/w/{team['workspace']['id']}/accounts").get_data(as_text=True)
    assert "@acme.shop" in html and "Connect Instagram" not in html and "Disconnect" not in html


def test_console_quota_pause_and_disconnect(app, console, team):
    wid, aid = team["workspace"]["id"], team["account_id"]
    console.login(team["owner"].email)
    page = f"/w/{wid}/accounts"
    response = console.post_form(page, {"daily_dm_quota": "75", "paused": "on"}, action=f"{page}/{aid}/settings")
    assert response.status_code == 303
    account = load_account(app, aid)
    assert account.daily_dm_quota == 75 and account.paused is True
    response = console.post_form(
        page, {"daily_dm_quota": "5000"}, action=f"{page}/{aid}/settings", follow_redirects=True
    )
    assert "1 to 1000" in response.get_data(as_text=True)
    assert load_account(app, aid).daily_dm_quota == 75
    console.post_form(page, {}, action=f"{page}/{aid}/disconnect")
    assert load_account(app, aid).status == "disconnected"


def test_console_cannot_touch_another_workspaces_account(app, console, factory, team):
    stranger = factory.user()
    other = factory.workspace(stranger, name="Other")
    theirs = seed_account(app, other["id"], username="theirs")
    console.login(team["owner"].email)
    page = f"/w/{team['workspace']['id']}/accounts"
    response = console.post_form(page, {}, action=f"{page}/{theirs}/disconnect")
    assert response.status_code == 404
    response = console.post_form(page, {}, action=f"/w/{other['id']}/accounts/{theirs}/disconnect")
    assert response.status_code == 404
    assert console.get(f"/w/{other['id']}/accounts").status_code == 404
    assert load_account(app, theirs).status == "connected"
