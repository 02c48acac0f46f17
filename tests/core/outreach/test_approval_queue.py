"""The approval queue: most urgent first (the window closing soonest, then the score), each draft's deadline,
and the reason Approve is not possible (quota used up, window closed); bulk approve with nothing selected."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.errors import Invalid
from core.models import Door, SocialAccount, User
from core.services.identity.actors import Actor
from core.services.outreach import approvals, dms, quota
from tests.dm_setup import commenter, instagram_shop, messenger


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def setup(app, factory, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace["id"], quota=1)
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.CONSOLE)
        yield shop, actor


def _draft(emu, shop, actor, *, age, score, text, message=False, at=None):
    person, interaction = (messenger if message else commenter)(emu, shop, age=age)
    person.score = score
    if at is not None:
        interaction.occurred_at = at  # the very same deadline as another draft's
    db.session.commit()
    return dms.create_draft(person.id, actor=actor, text=text).id


def test_queue_is_ordered_by_deadline_then_score_with_time_left(setup, instagram_emulator):
    shop, actor = setup
    emu = instagram_emulator
    week_old = _draft(emu, shop, actor, age=timedelta(days=6, hours=20), score=10, text="reply closes in 4 h")
    chat = _draft(emu, shop, actor, age=timedelta(hours=22), score=5, text="message closes in 2 h", message=True)
    hour_ago = utcnow() - timedelta(hours=1)
    fresh_low = _draft(emu, shop, actor, age=timedelta(hours=1), score=40, text="fresh, low score", at=hour_ago)
    fresh_high = _draft(emu, shop, actor, age=timedelta(hours=1), score=90, text="fresh, high score", at=hour_ago)
    closed = _draft(emu, shop, actor, age=timedelta(days=6, hours=23, minutes=58), score=99, text="about to close")
    now = utcnow() + timedelta(minutes=5)  # the last draft's window has closed by then
    found = approvals.queue(shop.workspace_id, actor=actor, now=now)
    assert [r.dm.id for r in found.rows] == [chat, week_old, fresh_high, fresh_low, closed]
    assert found.total == 5 and found.remaining == 1
    left = [r.seconds_left(now) for r in found.rows]
    assert 1.8 * 3600 < left[0] < 2 * 3600 and 3.8 * 3600 < left[1] < 4 * 3600 and left[-1] < 0
    assert [r.blocked for r in found.rows[:4]] == [None] * 4
    assert found.rows[-1].blocked.startswith("Window closed: the comment is older than 7 days")


def test_approve_is_blocked_with_the_reason_once_the_quota_is_used_up(setup, instagram_emulator):
    shop, actor = setup
    first = _draft(instagram_emulator, shop, actor, age=timedelta(hours=1), score=50, text="first")
    second = _draft(instagram_emulator, shop, actor, age=timedelta(hours=2), score=50, text="second")
    dms.approve(first, actor=actor)  # sent at once (no Redis): the one unit of today's quota is taken
    account = db.session.get(SocialAccount, shop.account_id)
    assert quota.used_today(account) == 1
    [row] = approvals.queue(shop.workspace_id, actor=actor).rows
    assert row.dm.id == second
    assert row.blocked == "Today's quota is used up for @acme.shop (1/1)."


def test_a_paused_account_blocks_its_drafts(setup, instagram_emulator):
    shop, actor = setup
    _draft(instagram_emulator, shop, actor, age=timedelta(hours=1), score=50, text="held")
    db.session.get(SocialAccount, shop.account_id).paused = True
    db.session.commit()
    [row] = approvals.queue(shop.workspace_id, actor=actor).rows
    assert "paused" in row.blocked


def test_bulk_approve_with_nothing_selected_is_refused(setup):
    shop, actor = setup
    with pytest.raises(Invalid) as refused:
        dms.bulk_approve(shop.workspace_id, [], actor=actor)
    assert refused.value.message == "No DM selected." and "dm_ids" in refused.value.fields
