"""The window a conversation's next message takes, asked of the one set of sending rules (eligibility)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.services.outreach import eligibility
from core.services.outreach.eligibility import conversation_window
from tests.factories import make_account, make_interaction, make_target


@pytest.fixture
def person(app, factory):
    workspace_id = factory.workspace(factory.user())["id"]
    with app.app_context():
        account = make_account(workspace_id)
        yield account, make_target(account)


def window(account, target, *, allowed=False, by_person=True, now=None):
    return conversation_window(account, target, human_agent_allowed=allowed, written_by_person=by_person, now=now)


def test_the_24h_message_window_comes_first_and_says_until_when(person):
    account, target = person
    last = utcnow() - timedelta(hours=2)
    target.last_inbound_message_at = last
    make_interaction(target, kind="comment", occurred_at=utcnow() - timedelta(days=1))
    w = window(account, target)
    assert (w.route, w.until, w.tag) == ("message", last + timedelta(hours=24), None)


def test_a_recent_comment_offers_its_one_private_reply(person):
    account, target = person
    comment = make_interaction(target, kind="comment", occurred_at=utcnow() - timedelta(days=2))
    w = window(account, target)
    assert (w.route, w.comment_platform_id) == ("private_reply", comment.platform_id)
    assert w.until == comment.occurred_at + timedelta(days=7)


def test_human_agent_only_with_the_permission_and_only_for_a_person(person):
    account, target = person
    last = utcnow() - timedelta(hours=30)
    target.last_inbound_message_at = last
    with pytest.raises(eligibility.WindowClosed, match="human-agent permission"):
        window(account, target, allowed=False)
    w = window(account, target, allowed=True, by_person=True)
    assert (w.route, w.tag, w.until) == ("human_agent", "HUMAN_AGENT", last + timedelta(days=7))
    with pytest.raises(eligibility.WindowClosed, match="never an automation") as refused:
        window(account, target, allowed=True, by_person=False)
    assert (refused.value.code, refused.value.status) == ("window_closed", 422)
    target.last_inbound_message_at = utcnow() - timedelta(days=8)
    with pytest.raises(eligibility.WindowClosed, match="write or comment again"):
        window(account, target, allowed=True)


def test_refusals_name_the_rule(person, app):
    account, target = person
    target.last_inbound_message_at = utcnow()
    target.unavailable_at = utcnow()
    with pytest.raises(eligibility.PersonUnavailable):
        window(account, target)
    target.unavailable_at = None
    target.opted_out_at = utcnow()
    with pytest.raises(eligibility.OptedOut) as refused:
        window(account, target)
    assert refused.value.code == "opted_out"
    target.opted_out_at = None
    account.paused = True
    with pytest.raises(eligibility.NotAllowedByPlatform, match="paused"):
        window(account, target)
    tiktok = make_account(account.workspace_id, platform="tiktok")
    with pytest.raises(eligibility.NotAllowedByPlatform, match="TikTok") as refused:
        window(tiktok, make_target(tiktok))
    assert refused.value.code == "not_allowed_by_platform"
    db.session.rollback()
