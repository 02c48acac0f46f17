"""The CRM setup pages: add HubSpot or Pipedrive, see the pipelines and stages, edit the mapping, open from the lead."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.integrations import delivery as engine
from core.models import Integration
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.emulators.integration_fixtures import *  # noqa: F403
from tests.factories import make_account, make_target

SYSTEM = Actor.system("test")


@pytest.fixture
def app_config(hubspot_emulator, pipedrive_emulator):
    return {**hubspot_emulator.config(), **pipedrive_emulator.config()}


@pytest.fixture
def team(app, factory, console):
    owner = factory.user()
    workspace = factory.workspace(owner)
    console.login(owner.email)
    with app.app_context():
        account = make_account(workspace["id"], username="acme.ig")
        target_id = make_target(account, username="jane", score=90).id
    return {"owner": owner, "ws": workspace["id"], "target": target_id}


def page(team) -> str:
    return f"/w/{team['ws']}/integrations"


def test_add_hubspot_then_map_stages_and_open_the_contact_from_the_lead(app, team, console, hubspot_emulator):
    html = console.get(page(team)).get_data(as_text=True)
    assert "Add HubSpot" in html and "Add Pipedrive" in html
    response = console.post_form(
        page(team),
        {
            "kind": "hubspot",
            "name": "Sales HubSpot",
            "token": hubspot_emulator.token,
            "create_deals": "on",
            "events": ["lead.created", "lead.status_changed"],
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with app.app_context():
        integration = db.session.scalar(select(Integration))
    detail = f"{page(team)}/{integration.id}"
    html = console.get(detail).get_data(as_text=True)
    assert "Pipeline and stage mapping" in html and "Sales Pipeline" in html and "Partnerships" in html
    assert "Closed Won" in html and hubspot_emulator.token not in html

    form = {"create_deals": "on", "pipeline_id": "default", **{f"stage_{s}": "qualifiedtobuy" for s in ["new"]}}
    saved = console.post_form(detail, form, action=f"{detail}/mapping", follow_redirects=True)
    assert "mapping saved" in saved.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Integration, integration.id).config["stage_map"]["new"] == "qualifiedtobuy"

    with app.app_context():
        lead_id = leads.create(team["ws"], team["target"], actor=SYSTEM).id
        engine.sweep()
    [deal] = hubspot_emulator.deals()
    assert deal["dealstage"] == "qualifiedtobuy"
    lead_html = console.get(f"/w/{team['ws']}/leads/{lead_id}").get_data(as_text=True)
    contact = hubspot_emulator.contacts()[0]["id"]
    assert f"https://app.hubspot.com/contacts/4412345/record/0-1/{contact}" in lead_html
    assert "Open contact in HubSpot" in lead_html and "Open deal in HubSpot" in lead_html

    tested = console.post_form(detail, {}, action=f"{detail}/test", follow_redirects=True)
    assert "Test succeeded" in tested.get_data(as_text=True)


def test_bad_token_is_named_on_the_form(team, console, pipedrive_emulator):
    response = console.post_form(
        page(team),
        {"kind": "pipedrive", "name": "PD", "token": "not-the-token-0000", "events": ["lead.created"]},
    )
    assert response.status_code == 422
    assert "Pipedrive refused the credentials" in response.get_data(as_text=True)


def test_pipedrive_mapping_with_a_new_token_checks_it(app, team, console, pipedrive_emulator):
    response = console.post_form(
        page(team),
        {
            "kind": "pipedrive",
            "name": "PD",
            "token": pipedrive_emulator.token,
            "create_deals": "on",
            "events": ["lead.created"],
        },
    )
    assert response.status_code == 303
    with app.app_context():
        integration = db.session.scalar(select(Integration))
    detail = f"{page(team)}/{integration.id}"
    assert "Contact Made" in console.get(detail).get_data(as_text=True)
    refused = console.post_form(
        detail, {"pipeline_id": "2", "token": "wrong-token-123456"}, action=f"{detail}/mapping", follow_redirects=True
    )
    assert "Pipedrive refused the credentials" in refused.get_data(as_text=True)
    moved = console.post_form(detail, {"create_deals": "on", "pipeline_id": "2"}, action=f"{detail}/mapping")
    assert moved.status_code == 303
    with app.app_context():
        config = db.session.get(Integration, integration.id).config
    assert config["pipeline_id"] == "2" and set(config["stage_map"].values()) == {"6"}
