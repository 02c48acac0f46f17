"""Slack OAuth v2 install: state checked, token stored encrypted, channel chosen; refusals."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import SlackInstallation, User
from tests.bot.helpers import install_slack
from tests.conftest import Console


def test_install_stores_encrypted_token_and_channel(app, client, console, factory, slack_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    team, query = install_slack(client, console, slack_emulator, owner, workspace["id"])
    assert query["client_id"] == [slack_emulator.client_id]
    assert "chat:write" in query["scope"][0] and query["redirect_uri"] == ["http://localhost/slack/oauth_redirect"]
    oauth = slack_emulator.params("oauth.v2.access")
    assert len(oauth) == 1 and oauth[0]["code"].startswith("code-")
    with app.app_context():
        installation = db.session.query(SlackInstallation).one()
        assert installation.workspace_id == workspace["id"] and installation.team_id == team.id
        assert installation.alerts_channel_id == "C0ALERTS"
        token = installation.decrypted_token()
        assert token in slack_emulator.tokens and token not in installation.bot_token_encrypted
    page = client.get(f"/w/{workspace['id']}/chat").get_data(as_text=True)
    assert "Acme Slack" in page and "#vistaflow-alerts" in page and token not in page


def test_state_is_single_use_and_checked(app, client, console, factory, slack_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    console.login(owner.email)
    location = client.get(f"/slack/install?workspace_id={workspace['id']}").headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    forged = client.get(f"/slack/oauth_redirect?code={slack_emulator.authorize(slack_emulator.team())}&state=x")
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)  # a page for the browser
    code = slack_emulator.authorize(slack_emulator.team())
    assert client.get(f"/slack/oauth_redirect?code={code}&state={state}").status_code == 303
    replay = client.get(f"/slack/oauth_redirect?code={code}&state={state}")
    assert replay.status_code == 400
    with app.app_context():
        assert db.session.query(SlackInstallation).count() == 1


def test_members_cannot_install_and_other_workspaces_are_hidden(app, client, console, factory, slack_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(owner, workspace["id"], role="member")
    console.login(member.email)
    response = client.get(f"/slack/install?workspace_id={workspace['id']}")
    assert response.status_code == 403
    stranger = factory.user()
    other = app.test_client()
    Console(other).login(stranger.email)
    assert other.get(f"/slack/install?workspace_id={workspace['id']}").status_code == 404
    assert other.get(f"/w/{workspace['id']}/chat").status_code == 404


def test_one_slack_team_cannot_serve_two_workspaces(app, client, console, factory, slack_emulator):
    owner = factory.user()
    first = factory.workspace(owner, name="One")
    second = factory.workspace(owner, name="Two")
    team = slack_emulator.team()
    install_slack(client, console, slack_emulator, owner, first["id"], team=team)
    location = client.get(f"/slack/install?workspace_id={second['id']}").headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    done = client.get(
        f"/slack/oauth_redirect?code={slack_emulator.authorize(team)}&state={state}", follow_redirects=True
    )
    assert "already linked to another VistaFlow workspace" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(SlackInstallation).count() == 1


def _started(client, console, owner, workspace_id: int) -> str:
    console.login(owner.email)
    location = client.get(f"/slack/install?workspace_id={workspace_id}").headers["Location"]
    return parse_qs(urlsplit(location).query)["state"][0]


@pytest.mark.parametrize("gone", ["suspended", "deleted"])
def test_an_installer_suspended_or_deleted_meanwhile_gets_a_readable_refusal(
    app, client, console, factory, slack_emulator, gone
):
    owner = factory.user()
    workspace = factory.workspace(owner)
    state = _started(client, console, owner, workspace["id"])
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == owner.email))
        if gone == "suspended":
            user.suspended_at = utcnow()
        else:
            db.session.delete(user)
        db.session.commit()
    answer = client.get(f"/slack/oauth_redirect?code={slack_emulator.authorize(slack_emulator.team())}&state={state}")
    # Either way the console session ended with the person: the browser arrives signed out.
    assert answer.status_code == 403 and answer.mimetype == "text/html"
    assert "Sign in to VistaFlow in this browser" in answer.get_data(as_text=True)
    assert slack_emulator.params("oauth.v2.access") == []  # the code is not even exchanged
    with app.app_context():
        assert db.session.query(SlackInstallation).count() == 0


def test_an_installer_who_lost_the_admin_role_is_refused(app, client, console, factory, slack_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    admin = factory.member(owner, workspace["id"], role="admin")
    state = _started(client, console, admin, workspace["id"])
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == admin.email))
    assert owner.patch(f"/workspaces/{workspace['id']}/members/{user_id}", json={"role": "member"}).status_code == 200
    answer = client.get(f"/slack/oauth_redirect?code={slack_emulator.authorize(slack_emulator.team())}&state={state}")
    assert answer.status_code == 303
    assert "admin role" in client.get(answer.headers["Location"], follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        assert db.session.query(SlackInstallation).count() == 0


def test_an_answer_without_a_team_is_a_readable_refusal(app, client, console, factory, slack_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    state = _started(client, console, owner, workspace["id"])
    org_wide = slack_emulator.team(team_id="", name="Grid")
    answer = client.get(f"/slack/oauth_redirect?code={slack_emulator.authorize(org_wide)}&state={state}")
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    assert "one Slack workspace" in client.get(answer.headers["Location"], follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        assert db.session.query(SlackInstallation).count() == 0


def test_finding_1_a_slack_state_works_only_in_the_browser_session_that_started_it(
    app, client, console, factory, slack_emulator
):
    owner = factory.user()
    workspace = factory.workspace(owner)
    state = _started(client, console, owner, workspace["id"])
    code = slack_emulator.authorize(slack_emulator.team())
    # A browser with no session (the victim of a forwarded link), then the same person on another browser.
    anonymous = app.test_client().get(f"/slack/oauth_redirect?code={code}&state={state}")
    assert anonymous.status_code == 403 and "Sign in to VistaFlow" in anonymous.get_data(as_text=True)
    other = Console(app.test_client())
    other.login(owner.email)
    assert other.get(f"/slack/oauth_redirect?code={code}&state={state}").status_code == 403
    # An attacker's state opened by a signed-in victim attaches the victim's team to nothing.
    attacker = factory.user()
    attacker_ws = factory.workspace(attacker, name="Evil")
    attacker_browser = Console(app.test_client())
    attacker_state = _started(attacker_browser.client, attacker_browser, attacker, attacker_ws["id"])
    hijack = client.get(f"/slack/oauth_redirect?code={code}&state={attacker_state}")
    assert hijack.status_code == 403 and "started by someone else" in hijack.get_data(as_text=True)
    assert slack_emulator.params("oauth.v2.access") == []
    with app.app_context():
        assert db.session.query(SlackInstallation).count() == 0
    # The refusals used nothing up: the browser that started the install finishes it.
    assert client.get(f"/slack/oauth_redirect?code={code}&state={state}").status_code == 303
    with app.app_context():
        assert db.session.query(SlackInstallation).one().workspace_id == workspace["id"]
