"""An approved DM whose send job could not be queued (Redis down) is queued again by the sweep, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import select

from core.db import db, utcnow
from core.errors import Unavailable
from core.models import DirectMessage, Door, JobRun, User, Workspace
from core.services.identity.actors import Actor
from core.services.outreach import dms, queueing
from tests.dm_setup import commenter, dm_status, instagram_shop

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def owner(app, factory):
    user = factory.user()
    workspace = factory.workspace(user)
    return workspace["id"], user.user["id"]


def _send_runs(dm_id: int) -> list[JobRun]:
    db.session.expire_all()
    runs = db.session.scalars(select(JobRun).where(JobRun.kind == "dm.send").order_by(JobRun.created_at))
    return [r for r in runs if r.args == [dm_id]]


def _approved_while_redis_is_down(database_url, app_config, emu, workspace_id: int, user_id: int) -> int:
    from vistaflow import create_app

    down = create_app(app_config | {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "REDIS_URL": DEAD_REDIS})
    with down.app_context():
        try:
            shop = instagram_shop(emu, workspace_id, quota=5)
            target, _ = commenter(emu, shop)
            actor = Actor.for_user(db.session.get(User, user_id), Door.API)
            dm = dms.create_draft(target.id, actor=actor, text="Hi! Here is the price list.")
            with pytest.raises(Unavailable):
                dms.approve(dm.id, actor=actor)
            # A second tap is a no-op on an approved DM: before the sweep, nothing would ever send it.
            dms.approve(dm.id, actor=actor)
            assert dm_status(dm.id) == "approved"
            assert [r.status for r in _send_runs(dm.id)] == ["failed"]
            # Redis still down at the next sweep: still nothing started, and said so.
            assert queueing.requeue_stranded(now=utcnow() + timedelta(minutes=11)) == {"queued": 0, "failed": 1}
            return dm.id
        finally:
            db.session.remove()
            db.engine.dispose()


def test_stranded_approved_dm_is_sent_by_the_sweep_in_process(app, owner, database_url, app_config, instagram_emulator):
    dm_id = _approved_while_redis_is_down(database_url, app_config, instagram_emulator, *owner)
    with app.app_context():
        # Recently approved DMs are left alone: their job may be being queued right now.
        assert queueing.requeue_stranded() == {"queued": 0, "failed": 0}
        later = utcnow() + timedelta(minutes=11)
        assert queueing.requeue_stranded(now=later) == {"queued": 1, "failed": 0}
        assert dm_status(dm_id) == "sent"
        assert len(instagram_emulator.sent_messages) == 1
        assert queueing.requeue_stranded(now=later) == {"queued": 0, "failed": 0}
        assert len(instagram_emulator.sent_messages) == 1


def test_sweep_queues_a_stranded_dm_once_on_rq_and_skips_suspended_workspaces(
    app, redis_app, redis_client, owner, database_url, app_config, instagram_emulator
):
    dm_id = _approved_while_redis_is_down(database_url, app_config, instagram_emulator, *owner)
    later = utcnow() + timedelta(minutes=11)
    with redis_app.app_context():
        workspace = db.session.get(Workspace, owner[0])
        workspace.suspended_at = utcnow()
        db.session.commit()
        assert queueing.requeue_stranded(now=later) == {"queued": 0, "failed": 0}
        workspace.suspended_at = None
        db.session.commit()

        assert queueing.requeue_stranded(now=later) == {"queued": 1, "failed": 0}
        # The queued run marks it as in hand: a second sweep (or a second scheduler) adds nothing.
        assert queueing.requeue_stranded(now=later) == {"queued": 0, "failed": 0}
        assert [r.status for r in _send_runs(dm_id)] == ["failed", "failed", "queued"]
        assert Queue("interactive", connection=redis_client).count == 1
        assert db.session.get(DirectMessage, dm_id).status == "approved"
