"""Lead services: the pipeline, timeline entries from every door, owner/tags/notes/value rules, bulk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.errors import Conflict, Invalid, NotFound
from core.models import AuditEntry, DirectMessage, Door, Lead, LeadEvent, LeadStatus, LeadTag, OutboxEvent
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.leads import timeline as lead_timeline
from core.services.leads.pipeline import TRANSITIONS
from core.services.outreach import followups
from tests.factories import make_account, make_interaction, make_target

PATH = ["contacted", "replied", "qualified", "won"]


def path_to(status: str) -> list[str]:
    """The moves that bring a new lead to `status`."""
    if status == "lost":
        return ["lost"]
    return PATH[: PATH.index(status) + 1] if status in PATH else []


@pytest.fixture
def ws(app, factory):
    # Users and workspaces come through the API first: the API caches its caller per app context.
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(owner, workspace["id"])
    stranger = factory.user()
    other = factory.workspace(stranger, name="Other")
    with app.app_context():
        yield {
            "id": workspace["id"],
            "owner": Actor(user_id=owner.user["id"], door=Door.API, label=owner.email),
            "member_id": member.user["id"],
            "account": make_account(workspace["id"]),
            "stranger": Actor(user_id=stranger.user["id"], door=Door.SLACK, label=stranger.email),
            "other_id": other["id"],
        }


def _actor(ws, door: Door) -> Actor:
    return Actor(user_id=ws["owner"].user_id, door=door, label=ws["owner"].label)


def test_manual_creation_has_the_shared_created_shape(ws):
    target = make_target(ws["account"])
    lead = leads.create(ws["id"], target.id, actor=ws["owner"])
    assert (lead.status, lead.source) == ("new", "manual")
    [event] = db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id)).all()
    assert (event.kind, event.door, event.details) == ("created", "api", {"source": "manual"})
    [outbox] = db.session.scalars(select(OutboxEvent).where(OutboxEvent.type == "lead.created")).all()
    assert outbox.data == {"lead_id": lead.id, "target_id": target.id, "status": "new", "source": "manual"}
    assert outbox.ordering_key == f"lead:{lead.id}"
    with pytest.raises(Conflict):
        leads.create(ws["id"], target.id, actor=ws["owner"])


def test_every_allowed_transition_passes_and_emits(ws):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    for status in PATH:
        leads.change_status(lead.id, status, actor=ws["owner"], note=f"to {status}")
    assert lead.status == "won" and lead.closed_at is not None
    leads.change_status(lead.id, "qualified", actor=ws["owner"])  # reopen
    assert lead.status == "qualified" and lead.closed_at is None
    leads.change_status(lead.id, "lost", actor=ws["owner"])
    leads.change_status(lead.id, "qualified", actor=ws["owner"])
    moves = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "lead.status_changed").order_by(OutboxEvent.id)
    ).all()
    assert [(m.data["from"], m.data["to"]) for m in moves] == [
        ("new", "contacted"),
        ("contacted", "replied"),
        ("replied", "qualified"),
        ("qualified", "won"),
        ("won", "qualified"),
        ("qualified", "lost"),
        ("lost", "qualified"),
    ]
    assert moves[0].data == {
        "lead_id": lead.id,
        "target_id": lead.target_id,
        "from": "new",
        "to": "contacted",
        "note": "to contacted",
    }
    assert {m.ordering_key for m in moves} == {f"lead:{lead.id}"}


@pytest.mark.parametrize("start", ["new", "contacted", "replied", "qualified"])
def test_any_open_status_may_be_lost(ws, start):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    for status in path_to(start):
        leads.change_status(lead.id, status, actor=ws["owner"])
    leads.change_status(lead.id, "lost", actor=ws["owner"])
    assert lead.status == "lost"


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        ("new", "won", "contacted, lost"),
        ("new", "qualified", "contacted, lost"),
        ("contacted", "new", "replied, lost"),
        ("replied", "won", "qualified, lost"),
        ("won", "lost", "qualified"),
        ("won", "new", "qualified"),
    ],
)
def test_refused_moves_name_the_allowed_ones(ws, start, to, allowed):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    for status in path_to(start):
        leads.change_status(lead.id, status, actor=ws["owner"])
    with pytest.raises(Conflict) as exc:
        leads.change_status(lead.id, to, actor=ws["owner"])
    assert f"allowed from {start}: {allowed}" in exc.value.message
    assert exc.value.fields == {"status": f"Allowed from {start}: {allowed}."}
    db.session.rollback()
    assert lead.status == start


def test_transition_table_is_the_documented_pipeline():
    assert {k.value: [s.value for s in v] for k, v in TRANSITIONS.items()} == {
        "new": ["contacted", "lost"],
        "contacted": ["replied", "lost"],
        "replied": ["qualified", "lost"],
        "qualified": ["won", "lost"],
        "won": ["qualified"],
        "lost": ["qualified"],
    }


def test_same_status_is_a_no_op_without_event(ws):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    leads.change_status(lead.id, "new", actor=ws["owner"])
    assert db.session.scalar(select(OutboxEvent).where(OutboxEvent.type == "lead.status_changed")) is None


@pytest.mark.parametrize("door", [Door.API, Door.CONSOLE, Door.SLACK, Door.TELEGRAM])
def test_timeline_and_audit_name_the_door(ws, door):
    actor = _actor(ws, door)
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=actor)
    leads.change_status(lead.id, "contacted", actor=actor, note="called")
    leads.update(lead.id, actor=actor, tags=["VIP"], notes="likes blue", value="1500", owner=ws["member_id"])
    events = db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.id)).all()
    assert [e.kind for e in events] == [
        "created",
        "status_changed",
        "owner_changed",
        "tags_changed",
        "notes_changed",
        "value_changed",
    ]
    assert {e.door for e in events} == {door.value}
    assert {e.actor_user_id for e in events} == {actor.user_id}
    assert (events[1].old_value, events[1].new_value, events[1].note) == ("new", "contacted", "called")
    assert (events[3].new_value, events[5].new_value) == ("vip", "1500.00")
    audits = db.session.scalars(select(AuditEntry).where(AuditEntry.subject_type == "lead")).all()
    assert {a.action for a in audits} == {"lead.created", "lead.status_changed", "lead.updated"}
    assert {a.door for a in audits} == {door.value}


def test_system_actor_changes_are_recorded_as_system(ws):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    leads.change_status(lead.id, "contacted", actor=Actor.system("sequences"))
    event = db.session.scalars(select(LeadEvent).where(LeadEvent.kind == "status_changed")).one()
    assert (event.door, event.actor_label, event.actor_user_id) == ("system", "sequences", None)


def test_slack_actor_of_another_workspace_sees_not_found(ws):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    with pytest.raises(NotFound):
        leads.change_status(lead.id, "contacted", actor=ws["stranger"])


def test_owner_must_be_a_member(ws):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    with pytest.raises(Invalid) as exc:
        leads.update(lead.id, actor=ws["owner"], owner=ws["stranger"].user_id)
    assert "owner" in exc.value.fields


def test_tags_are_normalised_and_bounded(ws):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    leads.update(lead.id, actor=ws["owner"], tags=["  Big   Buyer ", "big buyer", "VIP"])
    assert sorted(db.session.scalars(select(LeadTag.tag).where(LeadTag.lead_id == lead.id))) == ["big buyer", "vip"]
    for bad in (["x" * 51], ["a,b"], [""], [f"t{n}" for n in range(21)]):
        with pytest.raises(Invalid) as exc:
            leads.update(lead.id, actor=ws["owner"], tags=bad)
        assert "tags" in exc.value.fields
        db.session.rollback()


@pytest.mark.parametrize("bad", ["-1", "abc", "10000000000", "NaN"])
def test_value_must_be_a_sane_amount(ws, bad):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    with pytest.raises(Invalid) as exc:
        leads.update(lead.id, actor=ws["owner"], value=bad)
    assert "value" in exc.value.fields


def test_timeline_merges_events_dms_and_interactions_in_time_order(ws):
    target = make_target(ws["account"])
    base = utcnow() - timedelta(hours=3)
    make_interaction(target, text="how much is this?", occurred_at=base)
    make_interaction(target, text="hidden spam", occurred_at=base, is_hidden=True)
    lead = leads.create(ws["id"], target.id, actor=ws["owner"])
    db.session.add(
        DirectMessage(
            workspace_id=ws["id"],
            social_account_id=ws["account"].id,
            target_id=target.id,
            kind="private_reply",
            text="Hi! DM sent",
            status="sent",
            created_at=base + timedelta(hours=1),
            sent_at=base + timedelta(hours=1),
        )
    )
    db.session.commit()
    make_interaction(target, kind="message", text="thanks, interested", occurred_at=utcnow() + timedelta(seconds=1))
    entries = lead_timeline.timeline(lead.id, actor=ws["owner"])
    assert [(e.type, e.kind) for e in entries] == [
        ("interaction", "comment"),
        ("dm", "sent"),
        ("lead_event", "created"),
        ("interaction", "message"),
    ]
    assert entries[1].new_value == "Hi! DM sent"


def test_bulk_skips_refused_moves_and_refuses_foreign_ids(ws):
    a = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    b = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    leads.change_status(b.id, "lost", actor=ws["owner"])
    result = leads.bulk_update(ws["id"], [a.id, b.id], actor=ws["owner"], status="contacted", owner=ws["member_id"])
    assert result.updated == [a.id]
    assert result.skipped == [
        {"lead_id": b.id, "reason": "A lead cannot move from lost to contacted; allowed from lost: qualified."}
    ]
    assert a.owner_user_id == ws["member_id"] and a.status == "contacted"

    foreign = leads.create(ws["other_id"], make_target(make_account(ws["other_id"])).id, actor=ws["stranger"])
    with pytest.raises(NotFound):
        leads.bulk_update(ws["id"], [a.id, foreign.id], actor=ws["owner"], status="lost")
    db.session.rollback()
    assert db.session.get(type(foreign), foreign.id).status == "new"


@pytest.mark.parametrize("closing", ["won", "lost"])
def test_a_lead_walked_by_the_system_to_won_or_lost_is_closed_and_audited(ws, closing):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    for status in ["contacted", "replied", "qualified"]:
        leads.change_status(lead.id, status, actor=ws["owner"])
    followups.walk_lead(lead.target_id, (LeadStatus.QUALIFIED, LeadStatus(closing)), "closed by the system")
    db.session.commit()
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.status == closing and lead.closed_at is not None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "lead.status_changed").order_by(AuditEntry.id.desc())
    ).first()
    assert (entry.door, entry.actor_label, entry.subject_id) == ("system", "outreach", str(lead.id))
    assert entry.details == {"from": "qualified", "to": closing}
    event = db.session.scalars(select(LeadEvent).order_by(LeadEvent.id.desc())).first()
    assert (event.kind, event.new_value, event.note, event.door) == (
        "status_changed",
        closing,
        "closed by the system",
        "system",
    )
    outbox = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "lead.status_changed").order_by(OutboxEvent.id.desc())
    ).first()
    assert (outbox.data["from"], outbox.data["to"]) == ("qualified", closing)


def test_a_system_walk_to_contacted_writes_one_audit_entry_per_step(ws):
    lead = leads.create(ws["id"], make_target(ws["account"]).id, actor=ws["owner"])
    followups.walk_lead(lead.target_id, (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.REPLIED), "replied")
    db.session.commit()
    moves = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "lead.status_changed", AuditEntry.subject_id == str(lead.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [(m.details["from"], m.details["to"], m.door) for m in moves] == [
        ("new", "contacted", "system"),
        ("contacted", "replied", "system"),
    ]
    assert db.session.get(Lead, lead.id).closed_at is None
