"""/leads API: create, detail, status, edits, bulk, filters and keyset pages per sort, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.models import Lead, LeadEvent, SocialAccount, Target
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.factories import make_account, make_interaction, make_target

SYSTEM = Actor.system("test")


@pytest.fixture
def team(app, factory):
    team = factory.rivals(with_member=True)
    with app.app_context():
        ig = make_account(team["ws"], username="acme.ig")
        tt = make_account(team["ws"], platform="tiktok", username="acme.tt")
        foreign_account = make_account(team["other"])
        ids = {"ig": ig.id, "tt": tt.id, "foreign_target": make_target(foreign_account).id}
        ids["foreign_lead"] = leads.create(team["other"], make_target(foreign_account).id, actor=SYSTEM).id
    return team | ids


def seed_lead(
    app,
    workspace_id: int,
    account_id: int,
    *,
    username: str,
    score: int = 10,
    status: str = "new",
    created_ago: timedelta = timedelta(0),
    notes: str | None = None,
    tags=(),
    owner=None,
) -> int:
    with app.app_context():
        target = make_target(db.session.get(SocialAccount, account_id), username=username, score=score)
        lead = leads.create(workspace_id, target.id, actor=SYSTEM)
        for step in {"new": [], "contacted": ["contacted"], "lost": ["lost"]}[status]:
            leads.change_status(lead.id, step, actor=SYSTEM)
        if notes or tags or owner:
            leads.update(lead.id, actor=SYSTEM, notes=notes, tags=list(tags), owner=owner)
        lead = db.session.get(Lead, lead.id)
        lead.created_at = utcnow() - created_ago
        lead.updated_at = utcnow() - created_ago / 2
        db.session.commit()
        return lead.id


def test_create_detail_status_and_patch(app, team):
    with app.app_context():
        target = make_target(
            db.session.get(SocialAccount, team["ig"]),
            username="jane",
            score=77,
            score_breakdown={"intent": 40},
            score_reasons=["asked the price"],
        )
        make_interaction(target, text="how much?")
        target_id = target.id
    owner = team["owner"]
    created = owner.post(f"/leads/workspace/{team['ws']}", json={"targetId": target_id})
    assert created.status_code == 201, created.get_json()
    lead = created.get_json()
    assert (lead["status"], lead["source"], lead["target"]["username"]) == ("new", "manual", "jane")
    assert lead["allowed_statuses"] == ["contacted", "lost"]
    assert owner.post(f"/leads/workspace/{team['ws']}", json={"targetId": target_id}).status_code == 409

    moved = owner.put(f"/leads/{lead['id']}/status", json={"status": "contacted", "note": "sent a DM"})
    assert moved.status_code == 200 and moved.get_json()["status"] == "contacted"
    refused = owner.put(f"/leads/{lead['id']}/status", json={"status": "won"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["fields"] == {"status": "Allowed from contacted: replied, lost."}

    patched = owner.patch(
        f"/leads/{lead['id']}",
        json={
            "owner": team["member"].user["id"],
            "tags": ["VIP", "Wholesale"],
            "notes": "call Monday",
            "value": 1200.5,
        },
    )
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["owner"]["email"] == team["member"].email and body["tags"] == ["vip", "wholesale"]
    assert (body["notes"], body["estimated_value"]) == ("call Monday", "1200.50")

    detail = owner.get(f"/leads/{lead['id']}").get_json()
    assert detail["score"]["breakdown"] == {"intent": 40} and detail["score"]["reasons"] == ["asked the price"]
    kinds = [(e["type"], e["kind"]) for e in detail["timeline"]]
    assert kinds[0] == ("interaction", "comment")
    assert [k for t, k in kinds if t == "lead_event"] == [
        "created",
        "status_changed",
        "owner_changed",
        "tags_changed",
        "notes_changed",
        "value_changed",
    ]
    assert {e["door"] for e in detail["timeline"] if e["type"] == "lead_event"} == {"api"}


def test_owner_must_be_a_member_422_naming_owner(app, team):
    lead_id = seed_lead(app, team["ws"], team["ig"], username="olga")
    response = team["owner"].patch(f"/leads/{lead_id}", json={"owner": team["stranger"].user["id"]})
    assert response.status_code == 422 and "owner" in response.get_json()["error"]["fields"]
    bulk = team["owner"].post(
        f"/leads/workspace/{team['ws']}/bulk", json={"lead_ids": [lead_id], "owner": team["stranger"].user["id"]}
    )
    assert bulk.status_code == 422 and "owner" in bulk.get_json()["error"]["fields"]


def test_bad_input_is_named(team):
    owner = team["owner"]
    assert owner.post(f"/leads/workspace/{team['ws']}", json={"targetId": 1, "x": 1}).status_code == 422
    for query, field in (
        ("status=open", "status.0"),
        ("min_score=101", "min_score"),
        ("sort=name", "sort"),
        ("owner=bob", "owner"),
        ("created_from=yesterday", "created_from"),
        ("platform=myspace", "platform"),
        ("cursor=garbage", "cursor"),
    ):
        response = owner.get(f"/leads/workspace/{team['ws']}?{query}")
        assert response.status_code == 422, query
        assert field in response.get_json()["error"]["fields"], (query, response.get_json())
    response = owner.get(f"/leads/workspace/{team['ws']}?created_from=2024-05-02&created_to=2024-05-01")
    assert response.status_code == 422 and "created_to" in response.get_json()["error"]["fields"]


def test_bulk_status_and_owner(app, team):
    a = seed_lead(app, team["ws"], team["ig"], username="a")
    b = seed_lead(app, team["ws"], team["ig"], username="b", status="lost")
    response = team["owner"].post(
        f"/leads/workspace/{team['ws']}/bulk",
        json={"lead_ids": [a, b], "status": "contacted", "owner": team["member"].user["id"]},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["updated"] == [a] and body["skipped"][0]["lead_id"] == b
    assert "allowed from lost: qualified" in body["skipped"][0]["reason"]


def test_every_route_hides_other_workspaces(team):
    owner, ws, other = team["owner"], team["ws"], team["other"]
    lead = team["foreign_lead"]
    assert owner.get(f"/leads/workspace/{other}").status_code == 404
    assert owner.post(f"/leads/workspace/{other}", json={"targetId": team["foreign_target"]}).status_code == 404
    assert owner.post(f"/leads/workspace/{ws}", json={"targetId": team["foreign_target"]}).status_code == 404
    assert owner.get(f"/leads/{lead}").status_code == 404
    assert owner.put(f"/leads/{lead}/status", json={"status": "lost"}).status_code == 404
    assert owner.patch(f"/leads/{lead}", json={"notes": "x"}).status_code == 404
    assert owner.post(f"/leads/workspace/{other}/bulk", json={"lead_ids": [lead], "status": "lost"}).status_code == 404
    assert owner.post(f"/leads/workspace/{ws}/bulk", json={"lead_ids": [lead], "status": "lost"}).status_code == 404
    assert owner.get(f"/leads/export/csv/{other}").status_code == 404
    assert owner.get("/leads/999999").status_code == 404
    assert team["stranger"].get(f"/leads/{lead}").status_code == 200


def test_filters(app, team):
    ws, ig, tt = team["ws"], team["ig"], team["tt"]
    me = team["owner"].user["id"]
    ids = {
        "alice": seed_lead(
            app, ws, ig, username="alice_shop", score=90, tags=["vip"], owner=me, created_ago=timedelta(days=10)
        ),
        "bob": seed_lead(app, ws, ig, username="bob", score=40, status="contacted", notes="met at the fair"),
        "carol": seed_lead(app, ws, tt, username="carol", score=65, status="lost", created_ago=timedelta(days=3)),
    }

    def names(query: str) -> set[str]:
        response = team["owner"].get(f"/leads/workspace/{ws}?{query}")
        assert response.status_code == 200, response.get_json()
        found = {item["id"] for item in response.get_json()["items"]}
        return {name for name, lead_id in ids.items() if lead_id in found}

    assert names("") == {"alice", "bob", "carol"}
    assert names("status=contacted,lost") == {"bob", "carol"}
    assert names("status=new&status=lost") == {"alice", "carol"}
    assert names("owner=me") == {"alice"} and names(f"owner={me}") == {"alice"}
    assert names("owner=none") == {"bob", "carol"}
    assert names("tag=VIP") == {"alice"}
    assert names("min_score=60") == {"alice", "carol"}
    assert names("platform=tiktok") == {"carol"}
    assert names(f"account={ig}") == {"alice", "bob"}
    assert names("q=ALICE") == {"alice"} and names("q=fair") == {"bob"} and names("q=%25") == set()
    from_day = (utcnow() - timedelta(days=5)).date().isoformat()
    assert names(f"created_from={from_day}") == {"bob", "carol"}
    assert names(f"created_to={from_day}") == {"alice"}
    recent = (utcnow() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert names(f"updated_from={recent}") == {"bob"}
    assert names(f"updated_to={recent}") == {"alice", "carol"}


@pytest.mark.parametrize("sort", ["score", "updated", "created"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_keyset_pages_follow_every_sort(app, team, sort, direction):
    ws, ig = team["ws"], team["ig"]
    # Ties on the sort key (same score) make the id break them.
    made = [
        seed_lead(
            app, ws, ig, username=f"p{n}", score=[50, 50, 70, 10, 50, 90, 70][n], created_ago=timedelta(hours=n * 7 % 5)
        )
        for n in range(7)
    ]
    with app.app_context():
        rows = [(db.session.get(Lead, i), db.session.get(Lead, i).target_id) for i in made]
        key = {
            "score": lambda lead: db.session.get(Target, lead.target_id).score,
            "updated": lambda lead: lead.updated_at,
            "created": lambda lead: lead.created_at,
        }[sort]
        expected = [
            lead.id for lead, _ in sorted(rows, key=lambda r: (key(r[0]), r[0].id), reverse=direction == "desc")
        ]
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        query = f"sort={sort}&direction={direction}&limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = team["owner"].get(f"/leads/workspace/{ws}?{query}").get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    other = "created" if sort != "created" else "score"
    first = team["owner"].get(f"/leads/workspace/{ws}?sort={sort}&direction={direction}&limit=3").get_json()
    mixed = team["owner"].get(f"/leads/workspace/{ws}?sort={other}&cursor={first['next_cursor']}")
    assert mixed.status_code == 422 and "cursor" in mixed.get_json()["error"]["fields"]


def test_console_door_is_recorded_on_the_timeline(app, team, console):
    lead_id = seed_lead(app, team["ws"], team["ig"], username="dora")
    console.login(team["owner"].email)
    page = f"/w/{team['ws']}/leads/{lead_id}"
    response = console.post_form(
        page, {"status": "contacted", "note": "from the console"}, action=f"/w/{team['ws']}/leads/{lead_id}/status"
    )
    assert response.status_code == 303
    with app.app_context():
        event = db.session.query(LeadEvent).filter_by(lead_id=lead_id, kind="status_changed").one()
        assert (event.door, event.note) == ("console", "from the console")
