"""Sending against the Instagram emulator: at most once, outcomes, quota release, follow-ups."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from core.db import db, utcnow
from core.models import (
    DirectMessage,
    DmEvent,
    Lead,
    LeadStatus,
    OutboxEvent,
    QuotaUsage,
    SocialAccount,
)
from core.services.outreach import dms, eligibility, followups, sending
from tests.dm_setup import commenter, dm_status, messenger


def _used(shop) -> int:
    db.session.expire_all()
    return sum(
        row.used
        for row in db.session.scalars(select(QuotaUsage).where(QuotaUsage.social_account_id == shop.account_id))
    )


def test_private_reply_is_sent_once_with_events_and_lead_contacted(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, comment = commenter(instagram_emulator, shop)
    db.session.add(Lead(workspace_id=shop.workspace_id, target_id=target.id, status="new"))
    db.session.commit()
    dm = dms.create_draft(target.id, actor=actor, text="Hi! Sent you the price list.")
    assert dm.kind == "private_reply" and dm.comment_platform_id == comment.platform_id
    dms.approve(dm.id, actor=actor)  # no Redis: the send job runs in-process
    assert dm_status(dm.id) == "sent"
    assert len(instagram_emulator.sent_messages) == 1
    assert instagram_emulator.sent_messages[0]["recipient"] == {"comment_id": comment.platform_id}
    events = db.session.scalars(select(DmEvent).where(DmEvent.dm_id == dm.id).order_by(DmEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "draft"),
        ("draft", "approved"),
        ("approved", "sending"),
        ("sending", "sent"),
    ]
    assert events[1].door == "api" and events[1].actor_user_id == actor.user_id and events[2].door == "system"
    assert _used(shop) == 1
    assert db.session.scalar(select(OutboxEvent).where(OutboxEvent.type == "dm.sent")).data["dm_id"] == dm.id
    assert db.session.scalar(select(Lead)).status == LeadStatus.CONTACTED.value
    # Approving again (a double tap) and running the job again change nothing.
    dms.approve(dm.id, actor=actor)
    sending.send(dm.id)
    assert len(instagram_emulator.sent_messages) == 1 and dm_status(dm.id) == "sent"


def test_message_within_24h_uses_recipient_id(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = messenger(instagram_emulator, shop, age=timedelta(hours=3))
    dm = dms.send_now(target.id, actor=actor, text="Thanks for writing!")
    assert dm.kind == "message"
    assert dm_status(dm.id) == "sent"
    assert instagram_emulator.sent_messages[0]["recipient"] == {"id": target.platform_user_id}


def test_token_refused_190_marks_account_and_fails_dm(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    instagram_emulator.expire_token(shop.token)
    dm = dms.send_now(target.id, actor=actor, text="Hello")
    db.session.expire_all()
    dm = db.session.get(DirectMessage, dm.id)
    assert dm.status == "failed" and "reconnect" in dm.status_reason
    account = db.session.get(SocialAccount, shop.account_id)
    assert account.status == "needs_reconnect"
    assert db.session.scalar(select(OutboxEvent).where(OutboxEvent.type == "account.needs_reconnect")) is not None
    assert _used(shop) == 0  # the platform never took it: the quota unit is given back
    assert instagram_emulator.sent_messages == []


def test_rate_limited_goes_back_to_approved_and_releases_quota(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    instagram_emulator.rate_limit_next(code=4, method="POST", path_contains="/messages")
    dm = dms.send_now(target.id, actor=actor, text="Hello")
    db.session.expire_all()
    dm = db.session.get(DirectMessage, dm.id)
    assert dm.status == "approved" and "rate limited" in dm.status_reason and dm.quota_day is None
    assert _used(shop) == 0
    # The client now backs this account off (usage tracker) and refuses without calling: still nothing sent.
    assert sending.send(dm.id)["status"] == "approved" and len(instagram_emulator.calls("POST")) == 1
    current_app.extensions.pop("vistaflow_usage", None)  # the back-off is over
    sending.send(dm.id)
    assert dm_status(dm.id) == "sent" and len(instagram_emulator.sent_messages) == 1


def test_lost_outcome_is_unknown_and_keeps_quota(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    instagram_emulator.fail_next(status=502, method="POST", path_contains="/messages")
    dm = dms.send_now(target.id, actor=actor, text="Hello")
    assert dm_status(dm.id) == "unknown"
    assert _used(shop) == 1
    sending.send(dm.id)  # never resent
    assert dm_status(dm.id) == "unknown"


def test_a_run_finding_sending_marks_unknown_and_never_resends(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    dm = dms.create_draft(target.id, actor=actor, text="Hello")
    db.session.get(DirectMessage, dm.id).status = "sending"
    db.session.commit()
    assert sending.send(dm.id)["status"] == "unknown"
    assert "may have gone out" in db.session.get(DirectMessage, dm.id).status_reason
    assert instagram_emulator.sent_messages == []


def test_recover_stuck_marks_old_sending_unknown(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    dm = dms.create_draft(target.id, actor=actor, text="Hello")
    row = db.session.get(DirectMessage, dm.id)
    row.status, row.send_started_at = "sending", utcnow() - timedelta(minutes=30)
    db.session.commit()
    assert sending.recover_stuck() == {"unknown": 1}
    assert dm_status(dm.id) == "unknown" and instagram_emulator.sent_messages == []


def test_same_dm_approved_twice_at_once_sends_once(app, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    dm_id = dms.create_draft(target.id, actor=actor, text="Hello").id
    barrier, errors = threading.Barrier(2), []

    def tap():
        with app.app_context():
            try:
                barrier.wait()
                dms.approve(dm_id, actor=actor)
            except Exception as exc:  # pragma: no cover - shown on failure
                errors.append(exc)

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert dm_status(dm_id) == "sent"
    assert len(instagram_emulator.sent_messages) == 1
    assert _used(shop) == 1


def test_two_drafts_for_one_comment_only_one_can_be_approved(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, comment = commenter(instagram_emulator, shop)
    first = dms.create_draft(target.id, actor=actor, text="One", comment_id=comment.platform_id)
    second = dms.create_draft(target.id, actor=actor, text="Two", comment_id=comment.platform_id)
    dms.approve(first.id, actor=actor)
    with pytest.raises(eligibility.Ineligible, match="already has its one private reply"):
        dms.approve(second.id, actor=actor)
    assert len(instagram_emulator.sent_messages) == 1


def test_emulator_refuses_a_second_private_reply(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, comment = commenter(instagram_emulator, shop)
    instagram_emulator.private_replied.add(comment.platform_id)  # replied from another tool
    dm = dms.send_now(target.id, actor=actor, text="Hello")
    db.session.expire_all()
    dm = db.session.get(DirectMessage, dm.id)
    assert dm.status == "failed" and "already has its private reply" in dm.status_reason
    assert _used(shop) == 0


def test_emulator_refuses_message_outside_window(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = messenger(instagram_emulator, shop, age=timedelta(hours=2))
    instagram_emulator.inbound.clear()  # our data says the window is open; the platform disagrees
    dm = dms.send_now(target.id, actor=actor, text="Hello")
    db.session.expire_all()
    assert db.session.get(DirectMessage, dm.id).status == "failed"
    assert "window" in db.session.get(DirectMessage, dm.id).status_reason


def test_opt_out_cancels_drafts_and_blocks_sends(shop_owner, instagram_emulator):
    from tests.factories import make_interaction

    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    draft = dms.create_draft(target.id, actor=actor, text="Hello")
    stop = make_interaction(target, kind="message", text="STOP", occurred_at=utcnow())
    assert followups.handle_inbound(target.id, stop.id)["opted_out"] is True
    assert dm_status(draft.id) == "cancelled"
    event = db.session.scalars(select(DmEvent).where(DmEvent.dm_id == draft.id).order_by(DmEvent.id.desc())).first()
    assert event.to_status == "cancelled" and event.reason == "person opted out"
    with pytest.raises(eligibility.Ineligible, match="opt-out"):
        dms.send_now(target.id, actor=actor, text="Hello again")
    assert instagram_emulator.sent_messages == []


def test_approved_dm_of_a_person_who_opted_out_meanwhile_is_not_sent(shop_owner, instagram_emulator):

    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    dm = dms.create_draft(target.id, actor=actor, text="Hello")
    row = db.session.get(DirectMessage, dm.id)
    row.status = "approved"  # approved, its job not run yet
    db.session.get(type(target), target.id).opted_out_at = utcnow()
    db.session.commit()
    assert sending.send(dm.id)["status"] == "failed"
    assert instagram_emulator.sent_messages == []


def test_reply_after_dm_marks_replied_moves_lead_and_emits(shop_owner, instagram_emulator):
    from tests.factories import make_interaction

    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    db.session.add(Lead(workspace_id=shop.workspace_id, target_id=target.id, status="new"))
    db.session.commit()
    dm = dms.send_now(target.id, actor=actor, text="Hello")
    answer = make_interaction(target, kind="message", text="yes please, send details", occurred_at=utcnow())
    assert followups.handle_inbound(target.id, answer.id)["replied_dm_id"] == dm.id
    db.session.expire_all()
    assert db.session.get(DirectMessage, dm.id).replied_at is not None
    assert db.session.scalar(select(Lead)).status == LeadStatus.REPLIED.value
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.type == "dm.replied"))
    assert event.data["dm_id"] == dm.id and event.data["lead_id"] is not None


def test_paused_account_keeps_dm_approved(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    dm = dms.create_draft(target.id, actor=actor, text="Hello")
    db.session.get(DirectMessage, dm.id).status = "approved"
    db.session.get(SocialAccount, shop.account_id).paused = True
    db.session.commit()
    sending.send(dm.id)
    db.session.expire_all()
    row = db.session.get(DirectMessage, dm.id)
    assert row.status == "approved" and "paused" in row.status_reason
    assert instagram_emulator.sent_messages == []
