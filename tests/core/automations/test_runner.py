"""From a signed comment webhook to the private reply at the Instagram emulator: keywords and intent, automatic
and review modes, once per comment whatever is replayed, opt-outs, the quota, priority and public replies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import AuditEntry, DirectMessage, DmEvent, JobRun, Lead, Target, Workspace
from core.services.automations import rules, runner, wording
from core.services.collection import cycle
from core.services.outreach import quota, sending
from core.services.privacy import contact_policy
from tests.automation_setup import comment_webhook, rule, run_passes, template, triggers


def _dms(workspace_id: int) -> list[DirectMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(DirectMessage).where(DirectMessage.workspace_id == workspace_id).order_by(DirectMessage.id)
        )
    )


def test_a_keyword_comment_gets_its_private_reply_then_the_public_one(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    made = rule(shop, actor, publicReplies=["Sent you a DM 📩", "Check your DMs ✨"])
    comment_id = comment_webhook(client, instagram_emulator, shop, "PRÍX ?? 😍")
    assert instagram_emulator.sent_messages == []  # nothing inline in the webhook's request
    run_passes(app)

    [sent] = instagram_emulator.sent_messages
    assert sent["recipient"] == {"comment_id": comment_id}
    assert sent["text"].startswith("Hi @fan_")
    assert instagram_emulator.public_replies == [
        {"comment_id": comment_id, "id": instagram_emulator.public_replies[0]["id"], "text": "Sent you a DM 📩"}
    ]
    [dm] = _dms(shop.workspace_id)
    assert dm.status == "sent"
    first = db.session.scalars(select(DmEvent).where(DmEvent.dm_id == dm.id).order_by(DmEvent.id)).first()
    assert first.actor_label == "automation: Price" and f"rule {made.id}, variant A" in first.reason
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "automation.triggered"))
    assert audit.subject_id == str(dm.id) and audit.details["rule_id"] == made.id
    [trigger] = triggers(shop.workspace_id)
    assert (trigger.outcome, trigger.rule_id, trigger.dm_id, trigger.reason) == (
        "queued",
        made.id,
        dm.id,
        "keyword:prix",
    )

    comment_webhook(client, instagram_emulator, shop, "price please")  # the next one rotates the public text
    run_passes(app)
    assert [r["text"] for r in instagram_emulator.public_replies] == ["Sent you a DM 📩", "Check your DMs ✨"]


def test_a_duplicate_webhook_and_a_recollection_never_trigger_twice(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    rule(shop, actor)
    comment_id = comment_webhook(client, instagram_emulator, shop, "price?", user="7700000001")
    comment_webhook(client, instagram_emulator, shop, "price?", user="7700000001", comment_id=comment_id)
    run_passes(app)
    cycle.collect_and_rescore(shop.account_id)  # the poll finds the same comment again, and passes again
    runner.run_pass(shop.workspace_id)
    assert len(instagram_emulator.sent_messages) == 1
    assert len(_dms(shop.workspace_id)) == 1 and len(triggers(shop.workspace_id)) == 1


def test_review_mode_drafts_into_the_approval_queue(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    rule(shop, actor, mode="review", publicReplies=["Sent you a DM 📩"])
    comment_webhook(client, instagram_emulator, shop, "Price??")
    run_passes(app)
    [dm] = _dms(shop.workspace_id)
    assert dm.status == "draft" and instagram_emulator.sent_messages == []
    assert triggers(shop.workspace_id)[0].outcome == "drafted"
    assert instagram_emulator.public_replies == []  # the public reply waits for the private one


def test_buying_intent_triggers_without_any_keyword(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    rule(shop, actor, trigger={"on": ["comment"], "intent": True})
    comment_webhook(client, instagram_emulator, shop, "I want to buy two, how do I order?")
    comment_webhook(client, instagram_emulator, shop, "what a lovely sunset")
    run_passes(app)
    outcomes = sorted((t.outcome, t.reason) for t in triggers(shop.workspace_id))
    assert outcomes == [("queued", "intent"), ("unmatched", None)]
    assert len(instagram_emulator.sent_messages) == 1


def test_an_opted_out_person_is_excluded_with_the_reason(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    rule(shop, actor)
    comment_webhook(client, instagram_emulator, shop, "price?", user="7700000042")
    target = db.session.scalar(select(Target).where(Target.platform_user_id == "7700000042"))
    contact_policy.block(target, "opt_out")
    db.session.commit()
    run_passes(app)
    [trigger] = triggers(shop.workspace_id)
    assert (trigger.outcome, trigger.reason, trigger.dm_id) == ("excluded", "opted_out", None)
    assert instagram_emulator.sent_messages == []


def test_customers_and_lead_statuses_are_excluded(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    rule(shop, actor, exclude={"customers": True, "leadStatuses": ["lost"]})
    for user, status in (("7700000051", "won"), ("7700000052", "lost"), ("7700000053", "new")):
        comment_webhook(client, instagram_emulator, shop, "price?", user=user)
        target = db.session.scalar(select(Target).where(Target.platform_user_id == user))
        db.session.add(Lead(workspace_id=shop.workspace_id, target_id=target.id, status=status))
    db.session.commit()
    run_passes(app)
    assert sorted((t.outcome, t.reason) for t in triggers(shop.workspace_id)) == [
        ("excluded", "customer"),
        ("excluded", "lead_status:lost"),
        ("queued", "keyword:price"),
    ]


def test_a_comment_triggers_only_the_first_rule_by_priority(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    rule(shop, actor, name="Broad", priority=50, trigger={"on": ["comment"], "keywords": ["price"]})
    second = template(shop.workspace_id, "Promo", "Promo code inside, {{username}}!")
    first = rule(shop, actor, name="Launch", priority=10, variants=[{"templateId": second, "weight": 100}])
    comment_webhook(client, instagram_emulator, shop, "price")
    run_passes(app)
    [trigger] = triggers(shop.workspace_id)
    assert trigger.rule_id == first.id
    [sent] = instagram_emulator.sent_messages
    assert sent["text"].startswith("Promo code inside, @fan_")


def test_outside_active_hours_the_rule_does_not_fire(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    now = utcnow()  # the workspace's zone is UTC: a two-hour span that ended an hour ago
    start, end = (now - timedelta(hours=3)).strftime("%H:%M"), (now - timedelta(hours=1)).strftime("%H:%M")
    rule(shop, actor, activeHours={"from": start, "until": end})
    comment_webhook(client, instagram_emulator, shop, "price?")
    run_passes(app)
    assert [t.outcome for t in triggers(shop.workspace_id)] == ["unmatched"]


def test_what_came_before_the_switch_on_never_triggers(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    made = rule(shop, actor, active=False)
    comment_webhook(client, instagram_emulator, shop, "price?")
    run_passes(app)
    rules.update(made.id, {"active": True}, actor=actor)
    runner.run_pass(shop.workspace_id)
    assert triggers(shop.workspace_id) == [] and instagram_emulator.sent_messages == []


@pytest.fixture
def shop_quota() -> int:
    return 2


def test_a_burst_queues_and_never_exceeds_the_quota(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    rule(shop, actor)
    for _ in range(5):
        comment_webhook(client, instagram_emulator, shop, "price?")
    run_passes(app)
    dms = _dms(shop.workspace_id)
    assert len(dms) == 5 and len(instagram_emulator.sent_messages) == 1  # the first at once, the rest spaced
    due = {
        run.args[0]: run.due_at
        for run in db.session.scalars(select(JobRun).where(JobRun.kind == "dm.send", JobRun.status == "queued"))
    }
    waits = sorted((due[dm.id] - utcnow()).total_seconds() for dm in dms[1:])
    assert 3 < waits[0] < 10  # the second is spaced by Meta's pacing (4.8 s)
    midnight = (quota.next_local_midnight(db.session.get(Workspace, shop.workspace_id)) - utcnow()).total_seconds()
    assert all(wait > midnight - 5 for wait in waits[1:])  # past today's quota of 2: from tomorrow
    for dm in dms[1:]:  # even run early, the sending path holds the quota
        sending.send(dm.id)
    assert len(instagram_emulator.sent_messages) == 2
    assert sorted(d.status for d in _dms(shop.workspace_id)) == ["approved", "approved", "approved", "sent", "sent"]


def test_a_rule_can_make_the_person_a_lead_with_a_tag(app, client, shop_owner, instagram_emulator):
    from core.models import LeadTag

    shop, actor = shop_owner
    rule(shop, actor, mode="review", leadTag="Launch")
    comment_webhook(client, instagram_emulator, shop, "price?", user="7700000077")
    run_passes(app)
    target = db.session.scalar(select(Target).where(Target.platform_user_id == "7700000077"))
    lead = db.session.scalar(select(Lead).where(Lead.target_id == target.id))
    assert lead is not None and lead.source == "automation"
    assert db.session.get(LeadTag, (lead.id, "launch")) is not None


def test_a_deleted_rule_leaves_its_comments_answered_once(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    first = rule(shop, actor, name="First", priority=1)
    rule(shop, actor, name="Second", priority=2)
    comment_webhook(client, instagram_emulator, shop, "price?")
    run_passes(app)
    rules.delete(first.id, actor=actor)
    runner.run_pass(shop.workspace_id)
    [trigger] = triggers(shop.workspace_id)
    assert trigger.rule_id is None and trigger.dm_id is not None  # still claimed: the second rule never answers it
    assert len(_dms(shop.workspace_id)) == 1


def test_a_direct_message_triggers_a_reply_in_the_24_hour_window(app, client, shop_owner, instagram_emulator):
    from tests import meta_webhook

    shop, actor = shop_owner
    rule(shop, actor, trigger={"on": ["message"], "keywords": ["price"]})
    instagram_emulator.add_inbound_message(shop.ig_user_id, "880001", "price?")
    meta_webhook.deliver(client, shop.ig_user_id, [meta_webhook.inbound(shop.ig_user_id, "880001", "m-1", "price?")])
    run_passes(app)
    [sent] = instagram_emulator.sent_messages
    assert sent["recipient"] == {"id": "880001"}  # a message, not a private reply: no comment to answer
    [trigger] = triggers(shop.workspace_id)
    assert trigger.outcome == "queued" and trigger.public_reply_text is None


def test_a_reply_waiting_past_the_comments_7_days_expires_with_the_reason(app, client, shop_owner, instagram_emulator):
    from core.models import Interaction

    shop, actor = shop_owner
    rule(shop, actor)
    for _ in range(2):
        comment_webhook(client, instagram_emulator, shop, "price?")
    run_passes(app)
    waiting = [dm for dm in _dms(shop.workspace_id) if dm.status == "approved"]
    assert len(waiting) == 1  # the second one is spaced by the pacing
    comment = db.session.scalar(select(Interaction).where(Interaction.platform_id == waiting[0].comment_platform_id))
    comment.occurred_at = utcnow() - timedelta(days=8)  # it waited (the quota, the pacing) past the 7 days
    db.session.commit()
    sending.send(waiting[0].id)
    db.session.expire_all()
    expired = db.session.get(DirectMessage, waiting[0].id)
    assert expired.status == "failed" and "older than 7 days" in expired.status_reason
    assert len(instagram_emulator.sent_messages) == 1


def test_a_rule_switched_on_later_never_answers_what_came_before(app, client, shop_owner, instagram_emulator):
    from core.models import AutomationRule, Interaction

    shop, actor = shop_owner
    old = rule(shop, actor, name="Old", trigger={"on": ["comment"], "keywords": ["price"]})
    db.session.get(AutomationRule, old.id).activated_at = utcnow() - timedelta(days=5)
    db.session.commit()
    comment_id = comment_webhook(client, instagram_emulator, shop, "prix ?")  # no active rule has "prix"
    comment = db.session.scalar(select(Interaction).where(Interaction.platform_id == comment_id))
    comment.received_at = comment.occurred_at = utcnow() - timedelta(hours=20)
    db.session.commit()
    runner.run_pass(shop.workspace_id)
    rule(shop, actor, name="New", trigger={"on": ["comment"], "keywords": ["prix"]})
    runner.run_pass(shop.workspace_id)
    assert [t.outcome for t in triggers(shop.workspace_id)] == ["unmatched"]
    assert instagram_emulator.sent_messages == []


def test_a_rule_that_cannot_act_leaves_a_persons_draft_alone(app, client, shop_owner, instagram_emulator):
    from core.models import SocialAccount
    from core.services.outreach import dms

    shop, actor = shop_owner
    rule(shop, actor)
    comment_webhook(client, instagram_emulator, shop, "price?", user="7700000091")
    target = db.session.scalar(select(Target).where(Target.platform_user_id == "7700000091"))
    for dm in _dms(shop.workspace_id):  # a hot-target draft scoring may have made: not this test's point
        db.session.delete(dm)
    db.session.commit()
    mine = dms.create_draft(target.id, actor=actor, text="Hello, I wrote this one myself")
    db.session.get(SocialAccount, shop.account_id).paused = True
    db.session.commit()
    run_passes(app)
    [trigger] = triggers(shop.workspace_id)
    assert trigger.outcome == "ineligible" and "paused" in wording.reason(trigger.reason)
    assert db.session.get(DirectMessage, mine.id).status == "draft"


def test_an_exclusion_lets_the_next_rule_answer(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    rule(shop, actor, name="Prospects", priority=1, exclude={"customers": True})
    second = rule(shop, actor, name="Customers", priority=2, exclude={"customers": False})
    comment_webhook(client, instagram_emulator, shop, "price?", user="7700000093")
    target = db.session.scalar(select(Target).where(Target.platform_user_id == "7700000093"))
    db.session.add(Lead(workspace_id=shop.workspace_id, target_id=target.id, status="won"))
    db.session.commit()
    run_passes(app)
    [trigger] = triggers(shop.workspace_id)
    assert (trigger.rule_id, trigger.outcome) == (second.id, "queued")


def test_a_message_it_cannot_render_is_held_once_with_the_reason(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    long = template(shop.workspace_id, "Too long", "x" * 990 + " {{comment_excerpt}} {{username}}")
    rule(shop, actor, variants=[{"templateId": long, "weight": 100}])
    comment_webhook(client, instagram_emulator, shop, "price? " + "tell me more " * 10)
    run_passes(app)
    runner.run_pass(shop.workspace_id)
    [trigger] = triggers(shop.workspace_id)
    assert trigger.outcome == "ineligible" and wording.reason(trigger.reason)
    assert _dms(shop.workspace_id) == [] or all(dm.status != "approved" for dm in _dms(shop.workspace_id))


def test_a_public_reply_whose_outcome_was_lost_is_never_posted_again(app, client, shop_owner, instagram_emulator):
    from core.services.automations import public_replies

    shop, actor = shop_owner
    rule(shop, actor, publicReplies=["Sent you a DM 📩"])
    comment_webhook(client, instagram_emulator, shop, "price?")
    run_passes(app)
    [trigger] = triggers(shop.workspace_id)
    assert trigger.public_reply_id and trigger.public_reply_started_at is not None
    assert public_replies.post(trigger.id) == {"status": "nothing to do"}  # a retry of the job changes nothing
    # A worker that died after committing its intent: the next run cannot tell whether Instagram took it.
    trigger.public_reply_id = None
    db.session.commit()
    assert public_replies.post(trigger.id) == {"status": "unknown"}
    assert len(instagram_emulator.public_replies) == 1
    assert "not posted again" in triggers(shop.workspace_id)[0].public_reply_error
