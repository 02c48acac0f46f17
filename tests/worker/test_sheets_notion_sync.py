"""Google Sheets and Notion against local emulators: one row/page per lead, updated in place, never duplicated."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update

from core.db import db, utcnow
from core.integrations import delivery as engine
from core.models import Delivery, ExternalRecord, Lead
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.emulators.integration_fixtures import *  # noqa: F403
from tests.emulators.integration_fixtures import SPREADSHEET_ID
from tests.emulators.server import Reply
from tests.factories import make_account, make_target

SYSTEM = Actor.system("test")
LEAD_EVENTS = ["lead.created", "lead.status_changed"]


@pytest.fixture
def team(acme_team):
    return acme_team(base_score=60)


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


def move(app, lead_id: int, status: str, note: str | None = None) -> None:
    with app.app_context():
        leads.change_status(lead_id, status, actor=SYSTEM, note=note)


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


# ------------------------------------------------------------------ Google Sheets


@pytest.fixture
def sheet(team, service_account):
    response = add(
        team,
        "google_sheets",
        {"spreadsheet_id": SPREADSHEET_ID, "sheet_name": "Leads", "service_account": service_account},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["secret_set"] is True and "service_account" not in body["config"]
    assert "PRIVATE KEY" not in response.get_data(as_text=True)
    return body["id"]


def test_sheets_header_once_then_one_row_per_lead_updated_in_place(app, team, sheet, sheets_emulator):
    lead_id = new_lead(app, team)
    run(app, engine.sweep)
    rows = sheets_emulator.rows(SPREADSHEET_ID)
    assert rows[0][:5] == ["VistaFlow ID", "Username", "Platform", "Status", "Score"]
    assert len(rows) == 2 and rows[1][:5] == [lead_id, "fan_0", "instagram", "new", 60]

    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        lead.notes = '=HYPERLINK("http://evil.example","click")'
        db.session.commit()
    move(app, lead_id, "contacted")
    other = new_lead(app, team, 1)
    run(app, engine.sweep)
    rows = sheets_emulator.rows(SPREADSHEET_ID)
    assert [r[0] for r in rows] == ["VistaFlow ID", lead_id, other]  # updated in place, one appended
    assert rows[1][3] == "contacted" and rows[1][10] == '=HYPERLINK("http://evil.example","click")'
    writes = sheets_emulator.calls("PUT") + sheets_emulator.calls("POST", ":append")
    assert writes and all(c.query["valueInputOption"] == "RAW" for c in writes)
    assert len(sheets_emulator.calls("POST", "/token")) == 1  # the access token is cached
    assert len([c for c in sheets_emulator.calls("PUT") if "A1%3AM1" in c.path]) == 1  # header written once
    assert set(statuses(app, sheet)) == {("succeeded", 1)}


def test_sheets_no_duplicate_row_when_the_append_answer_is_lost(app, team, sheet, sheets_emulator):
    sheets_emulator.lose_next_append_response = True  # the row lands, then the "crash"
    lead_id = new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, sheet) == [("pending", 1)]
    with app.app_context():
        assert db.session.scalar(select(ExternalRecord)) is None
    make_due(app)
    run(app, engine.sweep)
    rows = sheets_emulator.rows(SPREADSHEET_ID)
    assert [r[0] for r in rows] == ["VistaFlow ID", lead_id]
    assert statuses(app, sheet) == [("succeeded", 2)]
    with app.app_context():
        assert db.session.scalar(select(ExternalRecord.external_id)) == "2"


def test_sheets_429_and_500_are_retried_with_retry_after(app, team, sheet, sheets_emulator):
    sheets_emulator.add_fault(
        Reply(429, {"error": {"code": 429, "message": "Quota exceeded"}}, headers={"Retry-After": "30"}),
        path_contains="/values/",
    )
    new_lead(app, team)
    run(app, engine.sweep)
    with app.app_context():
        row = db.session.scalar(select(Delivery))
        assert (row.status, row.response_code) == ("pending", 429) and "Quota exceeded" in row.last_error
        assert 25 <= (row.next_attempt_at - utcnow()).total_seconds() <= 31
    sheets_emulator.add_fault(
        Reply(503, {"error": {"code": 503, "message": "Backend Error"}}), path_contains="/values/"
    )
    make_due(app)
    run(app, engine.sweep)
    make_due(app)
    run(app, engine.sweep)
    assert statuses(app, sheet) == [("succeeded", 3)]
    assert len(sheets_emulator.rows(SPREADSHEET_ID)) == 2


def test_sheets_cached_token_is_not_shared_with_a_workspace_that_only_knows_the_email(
    app, factory, team, sheet, service_account, sheets_emulator
):
    """Workspace B names A's service account but signs with its own key: it must not ride on A's token."""
    lead_a = new_lead(app, team)
    run(app, engine.sweep)
    assert len(sheets_emulator.calls("POST", "/token")) == 1
    stranger = factory.user()
    other_ws = factory.workspace(stranger, name="Intruder")
    with app.app_context():
        account = make_account(other_ws["id"], username="intruder.ig")
        intruder_target = make_target(account, username="planted").id
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forged = {**service_account, "private_key": own_key.decode()}
    intruder = {"owner": stranger, "ws": other_ws["id"], "targets": [intruder_target]}
    response = add(intruder, "google_sheets", {"spreadsheet_id": SPREADSHEET_ID, "service_account": forged})
    assert response.status_code == 201, response.get_json()
    new_lead(app, intruder)
    run(app, engine.sweep)
    assert [r[0] for r in sheets_emulator.rows(SPREADSHEET_ID)] == ["VistaFlow ID", lead_a]
    assert statuses(app, response.get_json()["id"]) != [("succeeded", 1)]
    assert len(sheets_emulator.calls("POST", "/token")) == 2  # B asked Google itself, and was refused


def test_sheets_bad_service_account_is_named(team):
    response = add(team, "google_sheets", {"spreadsheet_id": SPREADSHEET_ID, "service_account": {"client_email": "x"}})
    assert response.status_code == 422
    assert "config.service_account" in response.get_json()["error"]["fields"]
    response = add(team, "google_sheets", {"spreadsheet_id": "bad id!", "service_account": "{}"})
    assert "config.spreadsheet_id" in response.get_json()["error"]["fields"]
    response = add(
        team, "google_sheets", {"spreadsheet_id": SPREADSHEET_ID, "service_account": "{}"}, events=["target.hot"]
    )
    assert response.status_code == 422 and "events" in response.get_json()["error"]["fields"]


# ------------------------------------------------------------------ Notion


@pytest.fixture
def notion_db(team, notion_emulator):
    database_id = notion_emulator.add_database()
    response = add(team, "notion", {"database_id": database_id, "token": notion_emulator.token})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["secret_set"] is True and notion_emulator.token not in response.get_data(as_text=True)
    return {"id": response.get_json()["id"], "database": database_id}


def test_notion_missing_property_is_named_when_the_integration_is_added(team, notion_emulator):
    schema = {
        "Name": "title",
        "Status": "select",
        "Score": "number",
        "Platform": "rich_text",
        "Profile URL": "url",
        "VistaFlow ID": "number",
    }
    response = add(
        team, "notion", {"database_id": notion_emulator.add_database(schema), "token": notion_emulator.token}
    )
    assert response.status_code == 422
    assert "Owner" in response.get_json()["error"]["message"]
    wrong = add(
        team,
        "notion",
        {
            "database_id": notion_emulator.add_database({**schema, "Owner": "email", "Score": "rich_text"}),
            "token": notion_emulator.token,
        },
    )
    assert wrong.status_code == 422 and "Score" in wrong.get_json()["error"]["message"]
    bad_token = add(team, "notion", {"database_id": notion_emulator.add_database(), "token": "secret_wrong_token"})
    assert bad_token.status_code == 422 and "config.token" in bad_token.get_json()["error"]["fields"]


def test_notion_one_page_per_lead_created_then_updated(app, team, notion_db, notion_emulator):
    lead_id = new_lead(app, team)
    run(app, engine.sweep)
    [page] = notion_emulator.pages_in(notion_db["database"])
    props = page["properties"]
    assert props["VistaFlow ID"] == {"number": lead_id} and props["Status"] == {"select": {"name": "new"}}
    assert props["Name"]["title"][0]["text"]["content"] == "@fan_0" and props["Score"] == {"number": 60}
    assert props["Profile URL"] == {"url": "https://www.instagram.com/fan_0/"}
    move(app, lead_id, "contacted")
    run(app, engine.sweep)
    [page] = notion_emulator.pages_in(notion_db["database"])
    assert page["properties"]["Status"] == {"select": {"name": "contacted"}}
    assert len(notion_emulator.calls("PATCH")) == 1
    assert all(c.headers["notion-version"] == "2022-06-28" for c in notion_emulator.calls())


def test_notion_no_duplicate_page_when_the_create_answer_is_lost(app, team, notion_db, notion_emulator):
    notion_emulator.lose_next_create_response = True
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, notion_db["id"]) == [("pending", 1)]
    make_due(app)
    run(app, engine.sweep)
    assert len(notion_emulator.pages_in(notion_db["database"])) == 1
    assert statuses(app, notion_db["id"]) == [("succeeded", 2)]


def test_notion_429_short_retry_after_is_waited_out_long_one_is_rescheduled(app, team, notion_db, notion_emulator):
    notion_emulator.add_fault(
        Reply(
            429,
            {"object": "error", "status": 429, "code": "rate_limited", "message": "slow down"},
            headers={"Retry-After": "1"},
        )
    )
    new_lead(app, team)
    run(app, engine.sweep)
    assert statuses(app, notion_db["id"]) == [("succeeded", 1)]
    notion_emulator.add_fault(
        Reply(429, {"object": "error", "message": "slow down"}, headers={"Retry-After": "90"}), count=2
    )
    new_lead(app, team, 1)
    run(app, engine.sweep)
    with app.app_context():
        row = db.session.scalars(select(Delivery).order_by(Delivery.id.desc())).first()
        assert (row.status, row.response_code) == ("pending", 429)
        assert 85 <= (row.next_attempt_at - utcnow()).total_seconds() <= 91


def test_send_test_for_each_kind(app, team, notion_db, sheet, webhook_receiver, sheets_emulator):
    owner = team["owner"]
    assert owner.post(f"/integrations/{notion_db['id']}/test").get_json()["ok"] is True
    result = owner.post(f"/integrations/{sheet}/test").get_json()
    assert result["ok"] is True and sheets_emulator.rows(SPREADSHEET_ID)[0][0] == "VistaFlow ID"
    hook = add(team, "webhook", {"url": webhook_receiver.url}, events=["target.hot"]).get_json()
    webhook_receiver.secret = hook["signing_secret"]
    result = owner.post(f"/integrations/{hook['id']}/test").get_json()
    assert result == {"ok": True, "response_code": 204, "detail": "answered 204"}
    assert webhook_receiver.received[0]["type"] == "integration.test"
    webhook_receiver.add_fault(Reply(500))
    result = owner.post(f"/integrations/{hook['id']}/test").get_json()
    assert result["ok"] is False and result["response_code"] == 500
