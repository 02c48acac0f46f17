"""Erasure reaches every integration: HubSpot, Pipedrive, Notion and Google Sheets lose what VistaFlow wrote
about the person, webhooks get person.erased, and the answer and the audit say what was reached or failed."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.db import db, utcnow
from core.integrations import delivery as engine
from core.models import AuditEntry, Delivery, ExternalRecord
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.emulators.integration_fixtures import *  # noqa: F403
from tests.emulators.integration_fixtures import SPREADSHEET_ID
from tests.emulators.server import Reply
from tests.factories import make_account, make_interaction, make_target

SYSTEM = Actor.system("test")
LEAD_EVENTS = ["lead.created", "lead.status_changed"]


@pytest.fixture
def app_config(sheets_emulator, notion_emulator, hubspot_emulator, pipedrive_emulator):
    return {
        "INTEGRATIONS_ALLOW_PRIVATE_TARGETS": True,
        **sheets_emulator.config(),
        **notion_emulator.config(),
        **hubspot_emulator.config(),
        **pipedrive_emulator.config(),
    }


@pytest.fixture
def team(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner, name="Acme")
    with app.app_context():
        account = make_account(workspace["id"], username="acme.ig")
        targets = []
        for i in range(2):
            target = make_target(account, username=f"fan_{i}", score=85, score_reasons=["asked for the price"])
            make_interaction(target, text=f"price please {i}")
            targets.append(target.id)
    return {"owner": owner, "ws": workspace["id"], "targets": targets}


def add(team, kind: str, config: dict, events=LEAD_EVENTS) -> dict:
    response = team["owner"].post(
        f"/integrations/workspace/{team['ws']}",
        json={"kind": kind, "name": kind.title(), "config": config, "events": events},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def everywhere(app, team, service_account, webhook_receiver, notion_emulator, hubspot_emulator, pipedrive_emulator):
    """Both people synced to all four destinations and a webhook."""
    database_id = notion_emulator.add_database()
    ids = {
        "google_sheets": add(
            team, "google_sheets", {"spreadsheet_id": SPREADSHEET_ID, "service_account": service_account}
        )["id"],
        "notion": add(team, "notion", {"database_id": database_id, "token": notion_emulator.token})["id"],
        "hubspot": add(team, "hubspot", {"token": hubspot_emulator.token})["id"],
        "pipedrive": add(team, "pipedrive", {"token": pipedrive_emulator.token})["id"],
    }
    hook = add(team, "webhook", {"url": webhook_receiver.url + "/hook"}, events=["dm.sent"])
    webhook_receiver.secret = hook["signing_secret"]
    ids["webhook"] = hook["id"]
    with app.app_context():
        lead_ids = [leads.create(team["ws"], t, actor=SYSTEM).id for t in team["targets"]]
        engine.sweep()
    return {"ids": ids, "database": database_id, "leads": lead_ids}


def test_erasure_removes_what_was_written_in_all_four_and_tells_webhooks(
    app, team, everywhere, sheets_emulator, notion_emulator, hubspot_emulator, pipedrive_emulator, webhook_receiver
):
    assert len(hubspot_emulator.contacts()) == 2 and len(pipedrive_emulator.items("persons")) == 2
    erased_lead, kept_lead = everywhere["leads"]

    response = team["owner"].delete(f"/targets/{team['targets'][0]}/personal-data")
    assert response.status_code == 200, response.get_json()
    reached = {r["kind"]: r for r in response.get_json()["integrations"]}
    assert set(reached) == {"google_sheets", "notion", "hubspot", "pipedrive", "webhook"}
    assert {r["status"] for r in reached.values()} == {"reached"}, reached

    # HubSpot: the contact GDPR-deleted, the deal deleted; the other person untouched.
    assert [c["vistaflow_handle"] for c in hubspot_emulator.contacts()] == ["instagram:fan_1"]
    assert [d["vistaflow_lead_key"] for d in hubspot_emulator.deals()] == [f"vf-lead-{kept_lead}"]
    assert len(hubspot_emulator.gdpr_deleted) == 1
    # Pipedrive: person, deal and note gone.
    assert [p["name"] for p in pipedrive_emulator.items("persons")] == ["@fan_1"]
    assert len(pipedrive_emulator.items("deals")) == 1
    assert ["price please 1" in n["content"] for n in pipedrive_emulator.items("notes")] == [True]
    # Notion: the page blanked and archived.
    pages = {p["properties"]["VistaFlow ID"]["number"]: p for p in notion_emulator.pages_in(everywhere["database"])}
    assert pages[erased_lead]["archived"] is True and pages[kept_lead]["archived"] is False
    assert "fan_0" not in str(pages[erased_lead]["properties"])
    # Sheets: the row blanked in place, the other row unmoved.
    rows = sheets_emulator.rows(SPREADSHEET_ID)
    assert all(cell == "" for cell in rows[1]) and rows[2][:2] == [kept_lead, "fan_1"]
    assert "fan_0" not in str(rows)
    # The webhook (subscribed to dm.sent only) still hears of the erasure, with ids only.
    [event] = [e for e in webhook_receiver.unique.values() if e["type"] == "person.erased"]
    assert event["data"]["target_id"] == team["targets"][0] and event["data"]["lead_id"] == erased_lead
    assert "fan_0" not in str(event)

    with app.app_context():
        audit = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "integration.erasure_reached")))
        assert {a.details["kind"] for a in audit} == set(reached)
        assert all("fan_0" not in str(a.details) for a in audit)
        keys = set(db.session.scalars(select(ExternalRecord.subject_key)))
        assert not any(k == f"lead:{erased_lead}" or k.startswith(f"lead:{erased_lead}:") for k in keys)


def test_a_failed_destination_is_said_retried_and_reached_later(app, team, everywhere, hubspot_emulator):
    hubspot_emulator.add_fault(
        Reply(503, {"status": "error", "message": "Service unavailable", "category": "SERVICE_UNAVAILABLE"}),
        path_contains="/crm/v3/objects/deals/",
    )
    response = team["owner"].delete(f"/targets/{team['targets'][0]}/personal-data")
    reached = {r["kind"]: r for r in response.get_json()["integrations"]}
    assert reached["hubspot"]["status"] == "retrying" and "503" in reached["hubspot"]["detail"]
    assert reached["pipedrive"]["status"] == "reached"
    with app.app_context():
        failed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "integration.erasure_failed"))
        assert failed.details["kind"] == "hubspot" and "503" in failed.details["detail"]
        db.session.execute(update(Delivery).where(Delivery.status == "pending").values(next_attempt_at=utcnow()))
        db.session.commit()
        engine.sweep()
    assert [c["vistaflow_handle"] for c in hubspot_emulator.contacts()] == ["instagram:fan_1"]
    with app.app_context():
        row = db.session.scalar(
            select(Delivery).where(
                Delivery.integration_id == everywhere["ids"]["hubspot"], Delivery.event_type == "person.erased"
            )
        )
        assert (row.status, row.attempts) == ("succeeded", 2)


def test_a_disabled_integration_is_held_and_reached_once_enabled(app, team, everywhere, pipedrive_emulator):
    pipedrive = everywhere["ids"]["pipedrive"]
    assert team["owner"].patch(f"/integrations/{pipedrive}", json={"enabled": False}).status_code == 200
    response = team["owner"].delete(f"/targets/{team['targets'][0]}/personal-data")
    reached = {r["kind"]: r for r in response.get_json()["integrations"]}
    assert reached["pipedrive"]["status"] == "held"
    assert len(pipedrive_emulator.items("persons")) == 2
    assert team["owner"].patch(f"/integrations/{pipedrive}", json={"enabled": True}).status_code == 200
    assert [p["name"] for p in pipedrive_emulator.items("persons")] == ["@fan_1"]


def test_a_lead_never_synced_is_searched_for_and_nothing_is_invented(app, team, hubspot_emulator, pipedrive_emulator):
    add(team, "hubspot", {"token": hubspot_emulator.token})
    add(team, "pipedrive", {"token": pipedrive_emulator.token})
    with app.app_context():
        leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
    # No sweep ran: nothing was written yet. Erasure searches by its own keys, finds nothing, and the
    # lead.created delivered afterwards writes nothing about an erased person.
    response = team["owner"].delete(f"/targets/{team['targets'][0]}/personal-data")
    answers = response.get_json()["integrations"]
    assert {r["status"] for r in answers} == {"reached"}
    assert all("Nothing was written" in r["detail"] for r in answers)
    with app.app_context():
        engine.sweep()
        statuses = {(d.event_type, d.status) for d in db.session.scalars(select(Delivery))}
    assert statuses == {("lead.created", "succeeded"), ("person.erased", "succeeded")}
    assert hubspot_emulator.contacts() == [] and pipedrive_emulator.items("persons") == []


def test_console_erasure_says_what_was_reached(app, team, everywhere, console, hubspot_emulator):
    hubspot_emulator.add_fault(Reply(500, {"status": "error", "message": "boom"}), path_contains="/deals/", count=5)
    console.login(team["owner"].email)
    page = f"/w/{team['ws']}/targets/{team['targets'][0]}/erase"
    assert "person.erased" in console.get(page).get_data(as_text=True)
    html = console.post_form(page, {"confirm": "ERASE"}, follow_redirects=True).get_data(as_text=True)
    assert "Also removed from: Google_Sheets, Notion, Pipedrive, Webhook." in html
    assert "Not reached yet, retried automatically: Hubspot." in html
