"""Integrations console page: add per kind (secret shown once), test, enable/disable, delivery log, replay."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from core.db import db
from core.integrations import delivery as engine
from core.models import Delivery, Integration
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.emulators.integration_fixtures import *  # noqa: F403
from tests.emulators.integration_fixtures import SPREADSHEET_ID
from tests.emulators.server import Reply
from tests.factories import make_account, make_target

SYSTEM = Actor.system("test")


@pytest.fixture
def team(app, factory, console):
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(owner, workspace["id"])
    stranger = factory.user()
    other = factory.workspace(stranger, name="Other")
    console.login(owner.email)
    return {"owner": owner, "member": member, "ws": workspace["id"], "other": other["id"], "stranger": stranger}


def page(team) -> str:
    return f"/w/{team['ws']}/integrations"


def test_add_a_webhook_shows_the_secret_once(app, team, console, webhook_receiver):
    html = console.get(page(team)).get_data(as_text=True)
    assert "Add webhook" in html and "Add Google Sheets" in html and "Add Notion" in html
    response = console.post_form(
        page(team),
        {
            "kind": "webhook",
            "name": "CRM",
            "url": webhook_receiver.url + "/in",
            "events": ["lead.created", "target.hot"],
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with app.app_context():
        integration = db.session.scalar(select(Integration))
        secret = integration.decrypted_secret()
        assert integration.events == ["lead.created", "target.hot"]
    assert secret in html and "this once" in html
    detail = f"{page(team)}/{integration.id}"
    for again in (console.get(page(team)), console.get(detail)):
        assert again.status_code == 200 and secret not in again.get_data(as_text=True)
    assert "set (encrypted, never shown)" in console.get(detail).get_data(as_text=True)

    webhook_receiver.secret = secret
    tested = console.post_form(detail, {}, action=f"{detail}/test", follow_redirects=True)
    assert "Test succeeded (204)" in tested.get_data(as_text=True)


def test_form_errors_name_the_field(team, console, notion_emulator):
    response = console.post_form(
        page(team), {"kind": "webhook", "name": "Evil", "url": "http://169.254.169.254/", "events": ["lead.created"]}
    )
    assert response.status_code == 422 and "private or reserved" in response.get_data(as_text=True)
    database_id = notion_emulator.add_database({"Name": "title", "Status": "select"})
    response = console.post_form(
        page(team),
        {
            "kind": "notion",
            "name": "Pipeline",
            "database_id": database_id,
            "token": notion_emulator.token,
            "events": ["lead.created"],
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Score" in html and notion_emulator.token not in html
    response = console.post_form(page(team), {"kind": "webhook", "name": "No events", "url": "https://93.184.216.34/"})
    assert response.status_code == 422 and "Choose at least one event" in response.get_data(as_text=True)


def test_sheets_credentials_never_reach_the_html(app, team, console, service_account):
    response = console.post_form(
        page(team),
        {
            "kind": "google_sheets",
            "name": "Sheet",
            "spreadsheet_id": SPREADSHEET_ID,
            "sheet_name": "Leads",
            "service_account": json.dumps(service_account),
            "events": ["lead.created"],
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Integration “Sheet” added." in html
    assert "PRIVATE KEY" not in html and SPREADSHEET_ID in html
    assert "PRIVATE KEY" not in console.get(page(team)).get_data(as_text=True)


def test_disable_filter_and_replay_a_failed_delivery(app, team, console, webhook_receiver):
    response = team["owner"].post(
        f"/integrations/workspace/{team['ws']}",
        json={"kind": "webhook", "name": "CRM", "config": {"url": webhook_receiver.url}, "events": ["lead.created"]},
    )
    integration_id = response.get_json()["id"]
    webhook_receiver.secret = response.get_json()["signing_secret"]
    webhook_receiver.add_fault(Reply(500))
    with app.app_context():
        account = make_account(team["ws"])
        leads.create(team["ws"], make_target(account, username="hot_fan").id, actor=SYSTEM)
        engine.dispatch_pending()
        db.session.execute(update(Delivery).values(status="failed", attempts=engine.MAX_ATTEMPTS, next_attempt_at=None))
        db.session.commit()
        delivery_id = db.session.scalar(select(Delivery.id))
    detail = f"{page(team)}/{integration_id}"
    html = console.get(detail + "?status=failed").get_data(as_text=True)
    assert "lead.created" in html and "Replay" in html and "500" in html
    assert "No delivery matches" in console.get(detail + "?status=succeeded").get_data(as_text=True)

    replayed = console.post_form(detail, {}, action=f"{detail}/deliveries/{delivery_id}/replay", follow_redirects=True)
    assert f"Delivery {delivery_id} replayed: succeeded." in replayed.get_data(as_text=True)
    assert len(webhook_receiver.received) == 1

    saved = console.post_form(
        detail, {"name": "CRM", "events": ["lead.created"]}, action=f"{detail}/settings", follow_redirects=True
    )  # the unchecked "enabled" box disables it
    assert "Disabled by" in saved.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Integration, integration_id).enabled is False


def test_members_see_the_page_without_forms_and_other_workspaces_are_404(
    app, team, client, console, factory, webhook_receiver
):
    theirs = team["stranger"].post(
        f"/integrations/workspace/{team['other']}",
        json={"kind": "webhook", "name": "Theirs", "config": {"url": webhook_receiver.url}, "events": ["lead.created"]},
    )
    foreign = theirs.get_json()["id"]
    assert console.get(f"/w/{team['ws']}/integrations/{foreign}").status_code == 404
    assert console.get(f"/w/{team['other']}/integrations/{foreign}").status_code == 404
    assert console.get(f"/w/{team['other']}/integrations").status_code == 404
    for action in ("test", "delete", "settings", "deliveries/1/replay"):
        response = console.post_form(page(team), {}, action=f"/w/{team['ws']}/integrations/{foreign}/{action}")
        assert response.status_code == 404, action

    client.post("/logout", data={})
    member_console = type(console)(app.test_client())
    member_console.login(team["member"].email)
    html = member_console.get(page(team)).get_data(as_text=True)
    assert "Integrations" in html and "Add webhook" not in html


def test_the_webhook_url_is_editable_and_checked_like_a_new_one(app, team, console, webhook_receiver):
    created = (
        team["owner"]
        .post(
            f"/integrations/workspace/{team['ws']}",
            json={
                "kind": "webhook",
                "name": "CRM",
                "config": {"url": webhook_receiver.url + "/old"},
                "events": ["lead.created"],
            },
        )
        .get_json()
    )
    detail = f"{page(team)}/{created['id']}"
    assert webhook_receiver.url + "/old" in console.get(detail).get_data(as_text=True)  # prefilled for the owner
    form = {"name": "CRM", "events": ["lead.created"], "enabled": "on"}
    saved = console.post_form(detail, form | {"url": webhook_receiver.url + "/new"}, action=f"{detail}/settings")
    assert saved.status_code == 303
    with app.app_context():
        integration = db.session.get(Integration, created["id"])
        assert integration.config["url"] == webhook_receiver.url + "/new"
        assert integration.decrypted_secret() == created["signing_secret"]  # the receiver's secret still works

    refused = console.post_form(
        detail, form | {"url": "https://no-such-host.invalid/hook"}, action=f"{detail}/settings", follow_redirects=True
    ).get_data(as_text=True)
    assert "does not resolve: check its spelling" in refused
    with app.app_context():
        assert db.session.get(Integration, created["id"]).config["url"] == webhook_receiver.url + "/new"
