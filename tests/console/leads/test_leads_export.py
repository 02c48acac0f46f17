"""CSV export: streamed, documented columns, ISO dates, quoting, formula injection, filters, audit, isolation."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import AuditEntry, Lead, SocialAccount
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.leads.export import COLUMNS, neutralise
from tests.factories import make_account, make_target

SYSTEM = Actor.system("test")
README_COLUMNS = (
    "lead_id,status,source,platform,account,username,platform_user_id,score,hot,owner_email,tags,"
    "estimated_value,notes,interactions,last_seen_at,created_at,updated_at,closed_at"
)
# Notes are trimmed by the service, so tab and carriage-return starts ride on usernames (kept verbatim).
USERNAMES = {0: "=cmd0", 1: "\tuser_1", 2: "\ruser_2"}
NASTY_NOTES = [
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    'says "hello", then leaves',
    "line one\nline two, with comma",
    "Москва — 東京 — القاهرة",
    "loves 🚀🔥 emoji",
    "plain",
]


@pytest.fixture
def team(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner, name="Acme Shop")
    stranger = factory.user()
    other = factory.workspace(stranger, name="Other")
    with app.app_context():
        account = make_account(workspace["id"], username="acme.ig")
        lead_ids = []
        for n, notes in enumerate(NASTY_NOTES):
            target = make_target(account, username=USERNAMES.get(n, f"user_{n}"), score=n)
            lead = leads.create(workspace["id"], target.id, actor=SYSTEM)
            leads.update(
                lead.id,
                actor=SYSTEM,
                notes=notes,
                tags=["-minus", "vip"] if n == 0 else [],
                value="99.5" if n == 1 else None,
                owner=owner.user["id"] if n == 2 else leads.UNSET,
            )
            lead_ids.append(lead.id)
        leads.change_status(lead_ids[3], "lost", actor=SYSTEM)
        foreign = make_target(make_account(other["id"]), username="foreign_person")
        leads.create(other["id"], foreign.id, actor=SYSTEM)
    return {"owner": owner, "ws": workspace, "lead_ids": lead_ids, "other": other}


def _read(response) -> list[dict]:
    text = response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_export_is_streamed_with_documented_columns_and_file_name(team):
    response = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = utcnow().strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="vistaflow-leads-{team["ws"]["slug"]}-{today}.csv"'
    )
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == README_COLUMNS == ",".join(COLUMNS)
    rows = _read(response)
    assert len(rows) == len(NASTY_NOTES)  # the other workspace's lead is not there
    assert "foreign_person" not in text


def test_escaping_survives_a_round_trip(team):
    rows = {int(r["lead_id"]): r for r in _read(team["owner"].get(f"/leads/export/csv/{team['ws']['id']}"))}
    notes = [rows[lead_id]["notes"] for lead_id in team["lead_ids"]]
    assert notes == [neutralise(n) for n in NASTY_NOTES]
    assert notes[:4] == ["'" + n for n in NASTY_NOTES[:4]]
    assert notes[4:] == NASTY_NOTES[4:]
    usernames = [rows[lead_id]["username"] for lead_id in team["lead_ids"][:4]]
    assert usernames == ["'=cmd0", "'\tuser_1", "'\ruser_2", "user_3"]
    assert rows[team["lead_ids"][0]]["tags"] == "'-minus, vip"
    assert rows[team["lead_ids"][1]]["estimated_value"] == "99.50"
    assert rows[team["lead_ids"][2]]["owner_email"] == team["owner"].email
    assert rows[team["lead_ids"][3]]["status"] == "lost"
    for row in rows.values():
        for column in ("created_at", "updated_at", "last_seen_at"):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", row[column]), row[column]
            datetime.fromisoformat(row[column])
        assert row["hot"] == "false" and row["account"] == "acme.ig" and row["platform"] == "instagram"
    assert rows[team["lead_ids"][3]]["closed_at"] and rows[team["lead_ids"][0]]["closed_at"] == ""


def test_raw_bytes_are_utf8_with_proper_quoting(team):
    raw = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}").get_data()
    text = raw.decode("utf-8")
    assert '"says ""hello"", then leaves"' in text
    assert '"line one\nline two, with comma"' in text
    assert "🚀🔥" in text and "東京" in text


def test_export_keeps_filters_and_sort(team):
    response = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}?status=lost")
    assert [r["lead_id"] for r in _read(response)] == [str(team["lead_ids"][3])]
    response = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}?min_score=8&sort=score&direction=desc")
    assert [int(r["score"]) for r in _read(response)] == [8]
    response = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}?min_score=5&sort=score&direction=desc")
    assert [int(r["score"]) for r in _read(response)] == [8, 7, 6, 5]
    bad = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}?min_score=x")
    assert bad.status_code == 422 and "min_score" in bad.get_json()["error"]["fields"]


def test_export_is_audited(app, team):
    team["owner"].get(f"/leads/export/csv/{team['ws']['id']}?status=new&q=user").get_data()
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "leads.exported"))
        assert entry.door == "api" and entry.workspace_id == team["ws"]["id"]
        assert entry.details["filters"] == {"statuses": ["new"], "q": "user"}


def test_export_of_another_workspace_is_not_found(team):
    assert team["owner"].get(f"/leads/export/csv/{team['other']['id']}").status_code == 404
    assert team["owner"].get("/leads/export/csv/999999").status_code == 404


def test_neutralise_covers_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(start + "x") == "'" + start + "x"
    assert neutralise("a=b") == "a=b" and neutralise("") == "" and neutralise(5) == 5


def test_python_formatting_path_matches_postgres(app, team):
    # SQLite formats dates in Python; the same rows must come out as PostgreSQL's to_char gives them.
    from core.services.leads.export import _python_row

    moment = datetime(2024, 5, 1, 9, 30, 5, 123456, tzinfo=__import__("datetime").UTC)
    assert _python_row([1, "x", moment, None]) == [1, "x", "2024-05-01T09:30:05Z", None]
    with app.app_context():
        assert db.session.get(SocialAccount, 1) is not None


def test_excel_france_export_has_a_bom_semicolons_decimal_commas_and_the_same_columns(app, team):
    with app.app_context():
        db.session.get(Lead, team["lead_ids"][0]).estimated_value = Decimal("1234.50")
        db.session.commit()
    response = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}?format=excel_fr")
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # UTF-8 byte order mark
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(COLUMNS)  # the column names do not change with the format
    rows = {int(r["lead_id"]): r for r in csv.DictReader(io.StringIO(text, newline=""), delimiter=";")}
    assert rows[team["lead_ids"][0]]["estimated_value"] == "1234,50"
    assert len(rows) == len(NASTY_NOTES)
    standard = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}").get_data()
    assert not standard.startswith("\ufeff".encode())
    bad = team["owner"].get(f"/leads/export/csv/{team['ws']['id']}?format=xlsx")
    assert bad.status_code == 422 and "format" in bad.get_json()["error"]["fields"]


def test_the_file_name_keeps_accented_letters_rfc_6266(factory):
    owner = factory.user()
    workspace = factory.workspace(owner, name="Maison Lumière")
    response = owner.get(f"/leads/export/csv/{workspace['id']}")
    today = utcnow().strftime("%Y-%m-%d")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="vistaflow-leads-{workspace["slug"]}-{today}.csv"')
    assert disposition.endswith(f"; filename*=UTF-8''vistaflow-leads-maison-lumi%C3%A8re-{today}.csv")
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded, encoding="utf-8", errors="strict") == f"vistaflow-leads-maison-lumière-{today}.csv"
