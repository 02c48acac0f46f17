"""Console leads pages: table with filters and bulk, board moves, detail edits, CSV download, isolation."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry, DirectMessage, Lead, LeadEvent, LeadTag
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.factories import make_account, make_interaction, make_target

SYSTEM = Actor.system("test")


@pytest.fixture
def team(app, factory, console):
    team = factory.rivals(owner_name="Olivia Owner", with_member=True)
    with app.app_context():
        account = make_account(team["ws"], username="acme.ig")
        ids = {}
        for name, score in (("alice", 80), ("bob", 30), ("carol", 55)):
            target = make_target(account, username=name, score=score)
            ids[name] = leads.create(team["ws"], target.id, actor=SYSTEM).id
        make_interaction(db.session.get(type(target), target.id), text="what's the price?")
        db.session.add(
            DirectMessage(
                workspace_id=team["ws"],
                social_account_id=account.id,
                target_id=target.id,
                kind="private_reply",
                text="Hello Carol!",
                status="sent",
            )
        )
        db.session.commit()
        ids["foreign"] = leads.create(team["other"], make_target(make_account(team["other"])).id, actor=SYSTEM).id
    console.login(team["owner"].email)
    return team | ids


def test_sidebar_links_to_leads_and_table_lists_them(team, console):
    page = console.get(f"/w/{team['ws']}/leads")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/w/{team["ws"]}/leads"' in html
    assert "@alice" in html and "@bob" in html and "@carol" in html
    filtered = console.get(f"/w/{team['ws']}/leads?min_score=50&sort=score&direction=asc").get_data(as_text=True)
    assert "@bob" not in filtered and filtered.index("@carol") < filtered.index("@alice")
    assert f"/w/{team['ws']}/leads/export.csv?min_score=50&amp;sort=score&amp;direction=asc" in filtered
    bad = console.get(f"/w/{team['ws']}/leads?min_score=500")
    assert bad.status_code == 422 and "min_score" in bad.get_data(as_text=True)


def test_table_pages_with_a_cursor(team, console):
    first = console.get(f"/w/{team['ws']}/leads?limit=2&sort=score").get_data(as_text=True)
    assert "@alice" in first and "@carol" in first and "@bob" not in first
    next_link = first.split("Next page")[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "@bob" in console.get(next_link).get_data(as_text=True)


def test_bulk_status_and_owner(app, team, console):
    response = console.post_form(
        f"/w/{team['ws']}/leads",
        {"lead_ids": [team["alice"], team["bob"]], "status": "contacted", "owner": team["member"].user["id"]},
        action=f"/w/{team['ws']}/leads/bulk",
    )
    assert response.status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(Lead).where(Lead.id.in_([team["alice"], team["bob"]]))).all()
        assert {(r.status, r.owner_user_id) for r in rows} == {("contacted", team["member"].user["id"])}
        doors = set(db.session.scalars(select(LeadEvent.door).where(LeadEvent.kind == "status_changed")))
        assert doors == {"console"}


def test_board_move_goes_through_the_pipeline(app, team, console):
    board = console.get(f"/w/{team['ws']}/leads/board").get_data(as_text=True)
    assert 'data-status="contacted"' in board and f'data-lead="{team["alice"]}"' in board
    assert 'data-allowed="contacted lost"' in board
    action = f"/w/{team['ws']}/leads/{team['alice']}/status"
    moved = console.post_form(f"/w/{team['ws']}/leads/board", {"status": "contacted", "next": "board"}, action=action)
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"/w/{team['ws']}/leads/board")
    refused = console.post_form(f"/w/{team['ws']}/leads/board", {"status": "won", "next": "board"}, action=action)
    assert refused.status_code == 303
    after = console.get(f"/w/{team['ws']}/leads/board").get_data(as_text=True)
    assert "allowed from contacted: replied, lost" in after
    with app.app_context():
        assert db.session.get(Lead, team["alice"]).status == "contacted"


def test_detail_shows_timeline_dms_and_saves_edits(app, team, console):
    page = f"/w/{team['ws']}/leads/{team['carol']}"
    html = console.get(page).get_data(as_text=True)
    assert "Hello Carol!" in html and "what&#39;s the price?" in html and "Lead created" in html
    saved = console.post_form(
        page,
        {
            "owner": str(team["member"].user["id"]),
            "tags": "VIP, wholesale",
            "notes": "Call back Monday",
            "value": "250",
        },
        action=f"{page}/edit",
    )
    assert saved.status_code == 303
    html = console.get(page).get_data(as_text=True)
    assert "Call back Monday" in html and "vip, wholesale" in html and "250.00" in html
    assert "via console" in html
    with app.app_context():
        assert sorted(db.session.scalars(select(LeadTag.tag).where(LeadTag.lead_id == team["carol"]))) == [
            "vip",
            "wholesale",
        ]
    console.post_form(page, {"owner": "", "tags": "", "notes": "", "value": "-3"}, action=f"{page}/edit")
    assert "Between 0 and" in console.get(page).get_data(as_text=True)


def test_console_export_keeps_filters_streams_and_is_audited(app, team, console):
    response = console.get(f"/w/{team['ws']}/leads/export.csv?min_score=50&sort=score&direction=desc")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"].startswith('attachment; filename="vistaflow-leads-acme-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert [r["username"] for r in rows] == ["alice", "carol"]
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "leads.exported"))
        assert entry.door == "console" and entry.details["filters"] == {"min_score": 50}


def test_console_pages_hide_other_workspaces(team, console):
    ws, other, foreign = team["ws"], team["other"], team["foreign"]
    for path in (
        f"/w/{other}/leads",
        f"/w/{other}/leads/board",
        f"/w/{other}/leads/export.csv",
        f"/w/{ws}/leads/{foreign}",
        f"/w/{other}/leads/{foreign}",
    ):
        assert console.get(path).status_code == 404, path
    for action, data in (
        (f"/w/{ws}/leads/{foreign}/status", {"status": "lost"}),
        (f"/w/{other}/leads/{foreign}/status", {"status": "lost"}),
        (f"/w/{ws}/leads/{foreign}/edit", {"notes": "x"}),
        (f"/w/{other}/leads/bulk", {"lead_ids": [foreign], "status": "lost"}),
        (f"/w/{ws}/leads/bulk", {"lead_ids": [foreign], "status": "lost"}),
    ):
        assert console.post_form(f"/w/{ws}/leads", data, action=action).status_code == 404, action
