"""Issue 23, search: one query finds a workspace's people (username, name), leads (their person, notes)
and what people wrote; substring and case-insensitive, wildcards taken literally, other workspaces
never searched; `?q=` on the targets list and API; a too-long query names the field."""

from __future__ import annotations

import pytest

from core.db import db
from core.models import Lead
from tests.factories import make_account, make_interaction, make_target


@pytest.fixture
def world(app, factory):
    team = factory.rivals()
    with app.app_context():
        mine = make_account(team["ws"])
        ana = make_target(mine, username="ana.bakes", display_name="Ana Lopez", score=80, is_hot=True)
        bob = make_target(mine, username="bob_store", display_name="Robert")
        make_interaction(ana, text="Combien pour le COFFRET rouge ?")
        make_interaction(bob, text="100% cotton? Is it 50_50?")
        db.session.add(
            Lead(workspace_id=team["ws"], target_id=bob.id, status="contacted", notes="wants a wholesale quote")
        )
        theirs = make_account(team["other"])
        rival = make_target(theirs, username="ana.rival", display_name="Ana Other")
        make_interaction(rival, text="coffret please")
        db.session.add(Lead(workspace_id=team["other"], target_id=rival.id, status="new", notes="wholesale too"))
        db.session.commit()
        team["ana"], team["bob"], team["rival"] = ana.id, bob.id, rival.id
    return team


def _search(world, q: str, who: str = "owner", ws: str = "ws"):
    return world[who].get(f"/search/workspace/{world[ws]}", query_string={"q": q})


def test_one_query_finds_people_leads_and_messages_of_this_workspace_only(world):
    body = _search(world, "ANA").get_json()
    assert [p["id"] for p in body["people"]] == [world["ana"]]  # not the other workspace's Ana
    assert body["people"][0]["display_name"] == "Ana Lopez" and body["people"][0]["is_hot"] is True

    by_name = _search(world, "robert").get_json()
    assert [p["id"] for p in by_name["people"]] == [world["bob"]]
    assert [(lead["target_id"], lead["status"]) for lead in by_name["leads"]] == [(world["bob"], "contacted")]

    notes = _search(world, "wholesale").get_json()
    assert [lead["username"] for lead in notes["leads"]] == ["bob_store"] and notes["people"] == []

    words = _search(world, "coffret").get_json()
    assert [m["target_id"] for m in words["messages"]] == [world["ana"]]
    assert words["messages"][0]["text"] == "Combien pour le COFFRET rouge ?"

    assert _search(world, "@ana.bakes").get_json()["people"][0]["id"] == world["ana"]


def test_wildcards_are_literal_and_an_empty_query_finds_nothing(world):
    assert [m["target_id"] for m in _search(world, "100%").get_json()["messages"]] == [world["bob"]]
    assert _search(world, "%").get_json()["messages"] != []  # the one message that holds a %
    assert [p["id"] for p in _search(world, "_").get_json()["people"]] == [world["bob"]]  # bob_store only
    assert _search(world, "a%b").get_json() == {"q": "a%b", "people": [], "leads": [], "messages": []}
    empty = _search(world, "   ").get_json()
    assert empty["people"] == empty["leads"] == empty["messages"] == []


def test_a_stranger_cannot_search_the_workspace_and_a_long_query_names_the_field(world):
    refused = _search(world, "ana", who="stranger")
    assert refused.status_code in (403, 404)
    too_long = _search(world, "x" * 201)
    assert too_long.status_code in (400, 422)
    assert "q" in str(too_long.get_json())


def test_the_targets_list_filters_by_q(world):
    listed = world["owner"].get(f"/targets/workspace/{world['ws']}", query_string={"q": "lopez"}).get_json()
    assert [t["id"] for t in listed["items"]] == [world["ana"]]
    everyone = world["owner"].get(f"/targets/workspace/{world['ws']}").get_json()
    assert {t["id"] for t in everyone["items"]} == {world["ana"], world["bob"]}


def test_the_console_search_page_and_the_top_bar(world, console):
    console.login(world["owner"].email)
    page = console.get(f"/w/{world['ws']}/search", query_string={"q": "ana"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "@ana.bakes" in html and "ana.rival" not in html
    assert f"/w/{world['ws']}/targets?q=ana" in html  # "All matching people" opens the filtered list
    assert 'role="search"' in console.get(f"/w/{world['ws']}/targets").get_data(as_text=True)  # the top bar box
    listed = console.get(f"/w/{world['ws']}/targets", query_string={"q": "robert"}).get_data(as_text=True)
    assert "@bob_store" in listed and "@ana.bakes" not in listed
    nothing = console.get(f"/w/{world['ws']}/search", query_string={"q": "zzz"}).get_data(as_text=True)
    assert "Nothing matches “zzz”" in nothing
    too_long = console.get(f"/w/{world['ws']}/search", query_string={"q": "x" * 201})
    assert too_long.status_code == 422 and "At most 200 characters." in too_long.get_data(as_text=True)
    assert console.get(f"/w/{world['other']}/search", query_string={"q": "ana"}).status_code == 404
