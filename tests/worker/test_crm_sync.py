"""HubSpot and Pipedrive against local emulators: contact/person and deal per lead, stages mapped, never twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.db import db, utcnow
from core.integrations import delivery as engine
from core.models import Delivery, ExternalRecord, Integration, Target
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.emulators.integration_fixtures import *  # noqa: F403
from tests.emulators.server import Reply

SYSTEM = Actor.system("test")
LEAD_EVENTS = ["lead.created", "lead.status_changed"]


@pytest.fixture
def app_config(hubspot_emulator, pipedrive_emulator):
    return {**hubspot_emulator.config(), **pipedrive_emulator.config()}


@pytest.fixture
def team(acme_team):
    return acme_team(base_score=80, asked_price=True)


def add(team, kind: str, config: dict, events=LEAD_EVENTS):
    return team["owner"].post(
        f"/integrations/workspace/{team['ws']}",
        json={"kind": kind, "name": kind.title(), "config": config, "events": events},
    )


def run(app, fn, *args):
    with app.app_context():
        result = fn(*args)
        db.session.expunge_all()
        return result


def new_lead(app, team, index=0) -> int:
    with app.app_context():
        return leads.create(team["ws"], team["targets"][index], actor=SYSTEM).id


def move(app, lead_id: int, status: str) -> None:
    with app.app_context():
        leads.change_status(lead_id, status, actor=SYSTEM)


def statuses(app, integration_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        return [
            (d.status, d.attempts)
            for d in db.session.scalars(
                select(Delivery).where(Delivery.integration_id == integration_id).order_by(Delivery.id)
            )
        ]


def make_due(app) -> None:
    with app.app_context():
        db.session.execute(update(Delivery).where(Delivery.status == "pending").values(next_attempt_at=utcnow()))
        db.session.commit()


# ------------------------------------------------------------------ HubSpot


@pytest.fixture
def hubspot(team, hubspot_emulator):
    response = add(team, "hubspot", {"token": hubspot_emulator.token})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["secret_set"] is True and hubspot_emulator.token not in response.get_data(as_text=True)
    return body["id"]


def test_hubspot_setup_creates_the_properties_and_lists_pipelines(team, hubspot, hubspot_emulator):
    contact_props = hubspot_emulator.properties["contacts"]
    assert contact_props["vistaflow_handle"]["hasUniqueValue"] is True
    assert contact_props["vistaflow_handle"]["groupName"] == "contactinformation"
    assert {
        "vistaflow_score",
        "vistaflow_reasons",
        "vistaflow_last_comment",
        "vistaflow_lead_status",
        "vistaflow_post_url",
    } <= set(contact_props)
    assert hubspot_emulator.properties["deals"]["vistaflow_lead_key"]["hasUniqueValue"] is True
    body = team["owner"].get(f"/integrations/{hubspot}/pipelines").get_json()
    assert [p["id"] for p in body["pipelines"]] == ["default", "77001"]
    assert body["pipeline_id"] == "default" and body["create_deals"] is True
    assert body["stage_map"] == {
        "new": "appointmentscheduled",
        "contacted": "qualifiedtobuy",
        "replied": "presentationscheduled",
        "qualified": "decisionmakerboughtin",
        "won": "closedwon",
        "lost": "closedlost",
    }
    # Saving again finds the properties in place: nothing is created twice.
    before = len(hubspot_emulator.calls("POST", "/crm/v3/properties/"))
    assert team["owner"].patch(f"/integrations/{hubspot}", json={"config": {}}).status_code == 200
    assert len(hubspot_emulator.calls("POST", "/crm/v3/properties/")) == before


def test_hubspot_hot_person_becomes_contact_and_deal_and_status_moves_the_stage(app, team, hubspot, hubspot_emulator):
    lead_id = new_lead(app, team)
    run(app, engine.sweep)
    [contact] = hubspot_emulator.contacts()
    assert contact["vistaflow_handle"] == "instagram:fan_0" and contact["firstname"] == "@fan_0"
    assert contact["vistaflow_score"] == 80 and contact["vistaflow_reasons"] == "asked for the price"
    assert contact["vistaflow_last_comment"] == "How much is it? #0"
    assert contact["vistaflow_post_url"] == "https://www.instagram.com/p/post0/"
    assert contact["vistaflow_lead_status"] == "new" and contact["vistaflow_lead_id"] == lead_id
    [deal] = hubspot_emulator.deals()
    assert (deal["pipeline"], deal["dealstage"]) == ("default", "appointmentscheduled")
    assert deal["vistaflow_lead_key"] == f"vf-lead-{lead_id}"
    assert hubspot_emulator.associations == {(deal["id"], contact["id"])}

    move(app, lead_id, "contacted")
    run(app, engine.sweep)
    [deal] = hubspot_emulator.deals()
    assert deal["dealstage"] == "qualifiedtobuy"
    assert hubspot_emulator.contacts()[0]["vistaflow_lead_status"] == "contacted"
    assert len(hubspot_emulator.calls("POST", "/batch/upsert")) == 2  # later changes PATCH by id
    assert set(statuses(app, hubspot)) == {("succeeded", 1)}


def test_hubspot_edited_mapping_is_used_and_a_foreign_stage_is_refused(app, team, hubspot, hubspot_emulator):
    bad = team["owner"].patch(f"/integrations/{hubspot}", json={"config": {"stage_map": {"new": "88001"}}})
    assert bad.status_code == 422 and "config.stage_map.new" in bad.get_json()["error"]["fields"]
    ok = team["owner"].patch(
        f"/integrations/{hubspot}", json={"config": {"pipeline_id": "77001", "stage_map": {"new": "88001"}}}
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["config"]["stage_map"]["won"] == "88002"
    new_lead(app, team)
    run(app, engine.sweep)
    [deal] = hubspot_emulator.deals()
    assert (deal["pipeline"], deal["dealstage"]) == ("77001", "88001")


def test_hubspot_retry_after_a_lost_answer_creates_nothing_twice(app, team, hubspot, hubspot_emulator):
    hubspot_emulator.lose_next_upsert_response = True  # the contact is created, the answer lost
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, hubspot) == [("pending", 1)]
    make_due(app)
    hubspot_emulator.add_fault(Reply(502, "Bad Gateway"), path_contains="/deals/batch/upsert")
    hubspot_emulator.lose_next_upsert_response = False
    run(app, engine.sweep)
    make_due(app)
    run(app, engine.sweep)
    assert statuses(app, hubspot) == [("succeeded", 3)]
    assert len(hubspot_emulator.contacts()) == 1 and len(hubspot_emulator.deals()) == 1


def test_hubspot_429_in_the_ten_second_window_is_waited_out(app, team, hubspot, hubspot_emulator):
    hubspot_emulator.window_max, hubspot_emulator.interval_ms = 2, 1000
    hubspot_emulator.reset_calls()
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, hubspot) == [("succeeded", 1)]  # waited inline: the delivery did not fail
    assert len(hubspot_emulator.contacts()) == 1 and len(hubspot_emulator.deals()) == 1


def test_hubspot_429_with_a_short_retry_after_is_waited_out(app, team, hubspot, hubspot_emulator):
    hubspot_emulator.add_fault(
        Reply(
            429,
            {"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT"},
            headers={"Retry-After": "1"},
        ),
        path_contains="/contacts/batch/upsert",
    )
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, hubspot) == [("succeeded", 1)]
    assert len(hubspot_emulator.calls("POST", "/contacts/batch/upsert")) == 2 and len(hubspot_emulator.contacts()) == 1


def test_hubspot_long_429_reschedules_without_failing(app, team, hubspot, hubspot_emulator):
    hubspot_emulator.add_fault(
        Reply(
            429,
            {"status": "error", "message": "You have reached your daily limit.", "errorType": "RATE_LIMIT"},
            headers={"Retry-After": "3600"},
        ),
        path_contains="/batch/upsert",
    )
    new_lead(app, team)
    run(app, engine.sweep)
    with app.app_context():
        row = db.session.scalar(select(Delivery))
        assert (row.status, row.response_code) == ("pending", 429) and "daily limit" in row.last_error
        assert 3500 <= (row.next_attempt_at - utcnow()).total_seconds() <= 3601


def test_hubspot_bad_credentials_disable_the_integration_with_a_reason(app, team, hubspot, hubspot_emulator):
    hubspot_emulator.token = "pat-na1-revoked"
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, hubspot) == [("failed", 1)]
    with app.app_context():
        integration = db.session.get(Integration, hubspot)
        assert integration.enabled is False
        assert "HubSpot refused the credentials (401" in integration.disabled_reason
        assert "Replace the token" in integration.disabled_reason
    wrong = add(team, "hubspot", {"token": "pat-na1-wrong-token"})
    assert wrong.status_code == 422 and "config.token" in wrong.get_json()["error"]["fields"]


def test_hubspot_send_test_creates_then_removes_a_contact(team, hubspot, hubspot_emulator):
    result = team["owner"].post(f"/integrations/{hubspot}/test").get_json()
    assert result["ok"] is True and "created in HubSpot, then removed" in result["detail"]
    assert hubspot_emulator.contacts() == []
    assert len(hubspot_emulator.calls("DELETE", "/crm/v3/objects/contacts/")) == 1


def test_hubspot_links_from_the_lead(app, team, hubspot, hubspot_emulator):
    lead_id = new_lead(app, team)
    run(app, engine.sweep)
    items = team["owner"].get(f"/integrations/lead/{lead_id}/links").get_json()["items"]
    contact, deal = hubspot_emulator.contacts()[0]["id"], hubspot_emulator.deals()[0]["id"]
    assert {i["url"] for i in items} == {
        f"https://app.hubspot.com/contacts/4412345/record/0-1/{contact}",
        f"https://app.hubspot.com/contacts/4412345/record/0-3/{deal}",
    }


def test_hubspot_contacts_only_when_deals_are_off(app, team, hubspot_emulator):
    response = add(team, "hubspot", {"token": hubspot_emulator.token, "create_deals": False})
    assert response.status_code == 201
    new_lead(app, team)
    run(app, engine.sweep)
    assert len(hubspot_emulator.contacts()) == 1 and hubspot_emulator.deals() == []


# ------------------------------------------------------------------ Pipedrive


@pytest.fixture
def pipedrive(team, pipedrive_emulator):
    response = add(team, "pipedrive", {"token": pipedrive_emulator.token})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_pipedrive_person_deal_and_note_then_stage_and_won(app, team, pipedrive, pipedrive_emulator):
    key = lambda name: pipedrive_emulator.field_key("personFields", name)  # noqa: E731
    lead_id = new_lead(app, team)
    run(app, engine.sweep)
    [person] = pipedrive_emulator.items("persons")
    assert person["name"] == "@fan_0" and person[key("VistaFlow handle")] == "instagram:fan_0"
    assert person[key("VistaFlow score")] == 80 and person[key("VistaFlow reasons")] == "asked for the price"
    [deal] = pipedrive_emulator.items("deals")
    assert (deal["person_id"], deal["pipeline_id"], deal["stage_id"], deal["status"]) == (person["id"], 1, 1, "open")
    assert deal[pipedrive_emulator.field_key("dealFields", "VistaFlow lead")] == f"vf-lead-{lead_id}"
    [note] = pipedrive_emulator.items("notes")
    assert note["deal_id"] == deal["id"] and "How much is it? #0" in note["content"]
    assert all("api_token" not in c.query for c in pipedrive_emulator.calls())  # the token stays out of URLs

    move(app, lead_id, "contacted")
    move(app, lead_id, "replied")
    run(app, engine.sweep)
    assert pipedrive_emulator.items("deals")[0]["stage_id"] == 3
    move(app, lead_id, "qualified")
    move(app, lead_id, "won")
    run(app, engine.sweep)
    [deal] = pipedrive_emulator.items("deals")
    assert (deal["stage_id"], deal["status"]) == (5, "won")
    assert len(pipedrive_emulator.items("notes")) == 1 and len(pipedrive_emulator.items("persons")) == 1
    body = team["owner"].get(f"/integrations/lead/{lead_id}/links").get_json()
    assert {i["url"] for i in body["items"]} == {
        f"https://acme-sales.pipedrive.com/person/{person['id']}",
        f"https://acme-sales.pipedrive.com/deal/{deal['id']}",
    }


def test_pipedrive_retry_after_lost_answers_creates_nothing_twice(app, team, pipedrive, pipedrive_emulator):
    pipedrive_emulator.lose_next_create_response = True  # the person lands, the answer is lost
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, pipedrive) == [("pending", 1)]
    pipedrive_emulator.lose_next_create_response = True  # now the deal's answer is lost
    make_due(app)
    run(app, engine.sweep)
    make_due(app)
    run(app, engine.sweep)
    assert statuses(app, pipedrive)[0][0] == "succeeded"
    assert len(pipedrive_emulator.items("persons")) == 1
    assert len(pipedrive_emulator.items("deals")) == 1
    assert len(pipedrive_emulator.items("notes")) == 1


def test_pipedrive_rate_limit_headers_are_honoured(app, team, pipedrive, pipedrive_emulator):
    pipedrive_emulator.window_max, pipedrive_emulator.window_seconds = 2, 1.0
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, pipedrive) == [("succeeded", 1)]
    assert len(pipedrive_emulator.items("deals")) == 1


def test_pipedrive_429_is_waited_out_by_its_reset_header(app, team, pipedrive, pipedrive_emulator):
    pipedrive_emulator.add_fault(
        Reply(
            429,
            {"success": False, "error": "Request over limit", "errorCode": 429},
            headers={"x-ratelimit-limit": "80", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"},
        ),
        method="POST",
        path_contains="/v1/persons",
    )
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, pipedrive) == [("succeeded", 1)]
    assert len(pipedrive_emulator.items("persons")) == 1


def test_pipedrive_bad_credentials_disable_the_integration(app, team, pipedrive, pipedrive_emulator):
    pipedrive_emulator.token = "f" * 40
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, pipedrive) == [("failed", 1)]
    with app.app_context():
        integration = db.session.get(Integration, pipedrive)
        assert integration.enabled is False and "unauthorized access" in integration.disabled_reason
    wrong = add(team, "pipedrive", {"token": "0" * 40})
    assert wrong.status_code == 422 and "config.token" in wrong.get_json()["error"]["fields"]


def test_pipedrive_send_test_creates_then_removes_a_person(team, pipedrive, pipedrive_emulator):
    result = team["owner"].post(f"/integrations/{pipedrive}/test").get_json()
    assert result["ok"] is True and "then removed" in result["detail"]
    assert pipedrive_emulator.items("persons") == []


def test_pipedrive_pipelines_and_unknown_pipeline_is_named(team, pipedrive):
    body = team["owner"].get(f"/integrations/{pipedrive}/pipelines").get_json()
    assert [p["label"] for p in body["pipelines"]] == ["Sales", "Partners"]
    assert body["stage_map"]["new"] == "1" and body["stage_map"]["won"] == "5"
    bad = team["owner"].patch(f"/integrations/{pipedrive}", json={"config": {"pipeline_id": "999"}})
    assert bad.status_code == 422 and "config.pipeline_id" in bad.get_json()["error"]["fields"]


def test_erased_person_is_not_written_again(app, team, pipedrive, pipedrive_emulator):
    lead_id = new_lead(app, team)
    run(app, engine.sweep)
    assert team["owner"].delete(f"/targets/{team['targets'][0]}/personal-data").status_code == 200
    assert pipedrive_emulator.items("persons") == []
    move(app, lead_id, "contacted")
    run(app, engine.sweep)
    assert pipedrive_emulator.items("persons") == [] and pipedrive_emulator.items("deals") == []
    with app.app_context():
        assert db.session.get(Target, team["targets"][0]).username == "erased"
        assert db.session.scalar(select(ExternalRecord)) is None
