"""Who may get a DM now, and the reason in words when not; sequences' later steps and their window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.models import SocialAccount, Target
from core.services.outreach import dms, eligibility, sequences, templates
from core.services.outreach.eligibility import Ineligible
from core.services.privacy import contact_policy
from tests.dm_setup import commenter, dm_status, messenger


@pytest.fixture
def shop_quota() -> int:
    return 10


@pytest.fixture
def setup(shop_owner):
    shop, actor = shop_owner
    return shop, actor, db.session.get(SocialAccount, shop.account_id)


def test_routes_and_refusals(setup, instagram_emulator):
    shop, actor, account = setup
    fresh, comment = commenter(instagram_emulator, shop)
    route = eligibility.route_for(account, fresh)
    assert route.kind == "private_reply" and route.comment_platform_id == comment.platform_id
    chatting, _ = messenger(instagram_emulator, shop, age=timedelta(hours=23))
    assert eligibility.route_for(account, chatting).kind == "message"
    stale, _ = messenger(instagram_emulator, shop, age=timedelta(hours=25))
    with pytest.raises(Ineligible, match="no message in the last 24 hours"):
        eligibility.route_for(account, stale)
    old, old_comment = commenter(instagram_emulator, shop, age=timedelta(days=7, minutes=1))
    with pytest.raises(Ineligible, match="older than 7 days"):
        eligibility.route_for(account, old, comment_platform_id=old_comment.platform_id)
    dms.send_now(fresh.id, actor=actor, text="Hi")
    with pytest.raises(Ineligible, match="already has its private reply"):
        eligibility.route_for(account, fresh)
    blocked, _ = commenter(instagram_emulator, shop)
    contact_policy.block(blocked, "manual")
    db.session.commit()
    with pytest.raises(Ineligible, match="opt-out"):
        eligibility.route_for(account, blocked)
    account.paused = True
    with pytest.raises(Ineligible, match="paused"):
        eligibility.route_for(account, chatting)
    account.paused, account.status = False, "needs_reconnect"
    with pytest.raises(Ineligible, match="reconnected"):
        eligibility.route_for(account, chatting)


def test_do_not_contact_list_without_opt_out_flag(setup, instagram_emulator):
    shop, _actor, account = setup
    person, _ = commenter(instagram_emulator, shop)
    contact_policy.block(person, "manual")
    db.session.get(Target, person.id).opted_out_at = None  # erased data: only the hash remains
    db.session.commit()
    with pytest.raises(Ineligible, match="do-not-contact"):
        eligibility.route_for(account, person)


def test_sequence_later_step_waits_for_window_then_expires(setup, instagram_emulator):
    shop, actor, _account = setup
    first = templates.create(shop.workspace_id, actor=actor, name="One", body="Hi {{username}}")
    second = templates.create(shop.workspace_id, actor=actor, name="Two", body="Still interested?")
    seq = sequences.create(
        shop.workspace_id,
        actor=actor,
        name="S",
        steps=[{"template_id": first.id, "delay_hours": 0}, {"template_id": second.id, "delay_hours": 1}],
    )
    person, _ = commenter(instagram_emulator, shop)  # a commenter: no 24 h window
    enrollment = sequences.enroll(seq.id, person.id, actor=actor)  # step 1 runs in-process
    enrollment = db.session.get(type(enrollment), enrollment.id)
    step1 = enrollment.step_log[0]["dm_id"]
    assert dm_status(step1) == "sent"
    later = utcnow() + timedelta(hours=2)
    assert sequences.advance(enrollment.id, later)["status"] == "active"
    statuses = sequences.step_statuses(db.session.get(type(enrollment), enrollment.id), seq)
    assert [s["status"] for s in statuses] == ["sent", "waiting"]
    assert sequences.advance(enrollment.id, later + timedelta(hours=48))["status"] == "expired"
    row = db.session.get(type(enrollment), enrollment.id)
    assert "waited 48 h" in row.status_reason and len(instagram_emulator.sent_messages) == 1


def test_sequence_later_step_sent_while_window_open_then_completes(setup, instagram_emulator):
    shop, actor, _account = setup
    first = templates.create(shop.workspace_id, actor=actor, name="One", body="Hi {{username}}")
    second = templates.create(shop.workspace_id, actor=actor, name="Two", body="Here is the link")
    seq = sequences.create(
        shop.workspace_id,
        actor=actor,
        name="S",
        steps=[{"template_id": first.id, "delay_hours": 0}, {"template_id": second.id, "delay_hours": 1}],
    )
    person, _ = messenger(instagram_emulator, shop, age=timedelta(minutes=1))
    enrollment_id = sequences.enroll(seq.id, person.id, actor=actor).id
    in_window = utcnow() + timedelta(hours=2)
    result = sequences.advance(enrollment_id, in_window)
    assert result["dm_id"] is not None and dm_status(result["dm_id"]) == "sent"
    assert sequences.advance(enrollment_id, in_window)["status"] == "completed"
    assert len(instagram_emulator.sent_messages) == 2
