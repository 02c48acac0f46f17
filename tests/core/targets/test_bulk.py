"""Issue 23, bulk actions on people: make leads of many, or draft each a DM from a template, for the
ticked people or all matching the list's filters; the rules' refusals are skipped with the reason and
the others go ahead; an id of another workspace refuses the whole request and nothing changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import DirectMessage, DmTemplate, Door, Lead, SequenceEnrollment, Target, User
from core.services.identity.actors import Actor
from core.services.outreach import sequences
from tests.dm_setup import commenter, instagram_shop
from tests.factories import make_account, make_target


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def world(app, factory, instagram_emulator):
    team = factory.rivals()
    with app.app_context():
        shop = instagram_shop(instagram_emulator, team["ws"])
        fresh = [commenter(instagram_emulator, shop, username=f"buyer_{n}")[0].id for n in range(3)]
        stale = commenter(instagram_emulator, shop, username="old_fan", age=timedelta(days=30))[0].id
        opted = commenter(instagram_emulator, shop, username="gone_fan")[0]
        opted.opted_out_at = utcnow()
        template = DmTemplate(workspace_id=team["ws"], name="Hello", body="Hi {{username}}!")
        db.session.add(template)
        db.session.add(Lead(workspace_id=team["ws"], target_id=fresh[0], status="contacted"))
        rival = make_target(make_account(team["other"]), username="rival_fan")
        db.session.commit()
        team.update(fresh=fresh, stale=stale, opted=opted.id, template=template.id, rival=rival.id)
    return team


def _bulk(world, body: dict, who: str = "owner"):
    return world[who].post(f"/targets/workspace/{world['ws']}/bulk", json=body)


def test_make_leads_skips_those_already_leads(app, world):
    answer = _bulk(world, {"action": "make_leads", "target_ids": world["fresh"]})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["done"] == world["fresh"][1:]
    assert body["skipped"] == [{"target_id": world["fresh"][0], "reason": "already a lead"}]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead).where(Lead.workspace_id == world["ws"])) == 3


def test_draft_dms_drafts_the_eligible_and_says_why_for_the_others(app, world):
    people = [*world["fresh"], world["stale"], world["opted"]]
    body = _bulk(world, {"action": "draft_dms", "target_ids": people, "template_id": world["template"]}).get_json()
    assert body["done"] == world["fresh"]
    skipped = {s["target_id"]: s["reason"] for s in body["skipped"]}
    assert set(skipped) == {world["stale"], world["opted"]}
    assert "opt-out" in skipped[world["opted"]]
    with app.app_context():
        drafts = db.session.scalars(select(DirectMessage).where(DirectMessage.status == "draft")).all()
        assert sorted(d.target_id for d in drafts) == world["fresh"]
        assert {d.text for d in drafts} == {f"Hi @buyer_{n}!" for n in range(3)}

    again = _bulk(world, {"action": "draft_dms", "target_ids": world["fresh"], "template_id": world["template"]})
    assert again.get_json()["done"] == []  # a second run drafts nothing twice
    assert {s["reason"] for s in again.get_json()["skipped"]} == {"already has a DM waiting for approval"}


def test_another_workspaces_person_refuses_the_whole_request(app, world):
    answer = _bulk(world, {"action": "make_leads", "target_ids": [world["fresh"][1], world["rival"]]})
    assert answer.status_code == 404 and "target_ids" in str(answer.get_json())
    with app.app_context():
        assert db.session.scalar(select(Lead.id).where(Lead.target_id == world["fresh"][1])) is None
    stranger = _bulk(world, {"action": "make_leads", "target_ids": world["fresh"]}, who="stranger")
    assert stranger.status_code in (403, 404)
    unknown = _bulk(world, {"action": "draft_dms", "target_ids": world["fresh"], "template_id": 999999})
    assert unknown.status_code in (400, 422) and "template_id" in str(unknown.get_json())


def test_the_console_applies_to_the_ticked_or_to_all_matching_and_reports_the_counts(app, world, console):
    console.login(world["owner"].email)
    ws = world["ws"]
    page = console.get(f"/w/{ws}/targets").get_data(as_text=True)
    assert 'data-select-all="target_ids"' in page and 'form="bulk-targets"' in page
    ticked = console.post_form(
        f"/w/{ws}/targets",
        {"action": "make_leads", "target_ids": [str(t) for t in world["fresh"]]},
        action=f"/w/{ws}/targets/bulk",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "2 leads made, 1 skipped: already a lead (1)." in ticked

    # "All matching the filters": the search narrows to the buyers, the template drafts each of them.
    everyone = console.post_form(
        f"/w/{ws}/targets",
        {"action": "draft_dms", "template_id": str(world["template"]), "scope": "all", "f_q": "buyer_"},
        action=f"/w/{ws}/targets/bulk",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "3 DMs drafted." in everyone, re.findall(r"flash[^>]*>([^<]*)", everyone)
    with app.app_context():
        drafted = db.session.scalars(select(DirectMessage.target_id).where(DirectMessage.status == "draft")).all()
        assert sorted(drafted) == world["fresh"]
        assert db.session.get(Target, world["stale"]).username == "old_fan"


def _sequence(app, world) -> int:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == world["owner"].email))
        seq = sequences.create(
            world["ws"],
            actor=Actor.for_user(owner, Door.API),
            name="Welcome",
            steps=[{"template_id": world["template"]}],
        )
        return seq.id


def test_enrol_many_in_a_sequence_skips_the_refused_and_those_already_in(app, world, console):
    sequence_id = _sequence(app, world)
    people = [world["fresh"][0], world["opted"]]
    body = _bulk(world, {"action": "enrol", "target_ids": people, "sequence_id": sequence_id}).get_json()
    assert body["done"] == [world["fresh"][0]]
    assert [s["target_id"] for s in body["skipped"]] == [world["opted"]]

    console.login(world["owner"].email)
    ws = world["ws"]
    assert "Enrol them in the sequence…" in console.get(f"/w/{ws}/targets").get_data(as_text=True)
    page = console.post_form(
        f"/w/{ws}/targets",
        {"action": "enrol", "sequence_id": str(sequence_id), "target_ids": [str(t) for t in world["fresh"]]},
        action=f"/w/{ws}/targets/bulk",
        follow_redirects=True,
    ).get_data(as_text=True)
    # The one already enrolled is refused (its first step took the comment's private reply): said, not re-enrolled.
    assert "2 people enrolled, 1 skipped: " in page, re.findall(r"flash[^>]*>([^<]*)", page)
    with app.app_context():
        enrolled = db.session.scalars(select(SequenceEnrollment.target_id).order_by(SequenceEnrollment.target_id))
        assert list(enrolled) == world["fresh"]
    other = _bulk(world, {"action": "enrol", "target_ids": world["fresh"], "sequence_id": 999999})
    assert other.status_code in (400, 422) and "sequence_id" in str(other.get_json())


def test_enrol_from_the_target_page(app, world, console):
    sequence_id = _sequence(app, world)
    console.login(world["owner"].email)
    ws, person = world["ws"], world["fresh"][1]
    assert "Enrol in sequence" in console.get(f"/w/{ws}/targets/{person}").get_data(as_text=True)
    done = console.post_form(
        f"/w/{ws}/targets/{person}",
        {"sequence_id": str(sequence_id)},
        action=f"/w/{ws}/targets/{person}/enrol",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Enrolled; the first step goes by the sending rules." in done
    refused = console.post_form(
        f"/w/{ws}/targets/{world['opted']}",
        {"sequence_id": str(sequence_id)},
        action=f"/w/{ws}/targets/{world['opted']}/enrol",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "opt-out" in refused
    with app.app_context():
        assert list(db.session.scalars(select(SequenceEnrollment.target_id))) == [person]
    assert (
        console.post_form(
            f"/w/{ws}/targets/{person}",
            {"sequence_id": str(sequence_id)},
            action=f"/w/{world['other']}/targets/{person}/enrol",
        ).status_code
        == 404
    )
