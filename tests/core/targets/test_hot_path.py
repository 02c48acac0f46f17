"""Webhooks rescore the people they flagged at once: one coalesced `interactive` pass per workspace,
on the single-process clock without Redis and on RQ with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import jobs
from core.db import db, utcnow
from core.models import JobRun, Target, Workspace
from core.redis_conn import get_redis
from core.services.targets import hot_path
from core.services.workspaces.settings import merge
from tests.console.collection.test_webhooks_meta import IG_ID, SECRET, VERIFY, comment_payload, deliver
from tests.core.mail.conftest import run_due_mail
from tests.factories import make_account
from vistaflow.clock import Clock


@pytest.fixture
def app_config():
    return {"META_APP_SECRET": SECRET, "META_WEBHOOK_VERIFY_TOKEN": VERIFY}


def _workspace(app, factory, *, threshold: int | None = None) -> int:
    workspace_id = factory.workspace(factory.user())["id"]
    run_due_mail(app)  # the sign-up's verification mail: not what these tests count
    with app.app_context():
        make_account(workspace_id, platform_user_id=IG_ID)
        if threshold is not None:
            workspace = db.session.get(Workspace, workspace_id)
            workspace.settings = merge(
                workspace.settings, {"scoring": {"hot_threshold": threshold, "cool_threshold": threshold - 1}}
            )
            db.session.commit()
    return workspace_id


def _runs(app) -> list[JobRun]:
    with app.app_context():
        runs = db.session.scalars(select(JobRun).where(JobRun.kind == hot_path.KIND).order_by(JobRun.created_at))
        return [(r.id, r.status, r.queue, r.due_at is not None, r.workspace_id) for r in runs]


def _burst(client, n: int, start: int = 0, text: str = "how much is it?") -> None:
    for i in range(start, start + n):
        payload = comment_payload(comment_id=f"1800000000000{i:04d}", text=text, user=f"u-{i}")
        assert deliver(client, payload).status_code == 200


def test_single_process_a_burst_of_webhooks_is_one_clock_pass_that_makes_them_hot(app, client, factory):
    ws = _workspace(app, factory, threshold=20)
    _burst(client, 12)
    runs = _runs(app)
    assert len(runs) == 1  # twelve webhooks, one pass waiting
    _id, status, queue, delayed, run_ws = runs[0]
    assert (status, queue, delayed, run_ws) == ("queued", "interactive", True, ws)
    with app.app_context():
        assert db.session.scalar(select(Target.is_hot).limit(1)) is False  # nothing scored inline

    clock = Clock(app, schedule=[], holder="test-clock")
    assert clock.hold_lease()
    assert clock.run_due("interactive") == 1
    with app.app_context():
        targets = db.session.scalars(select(Target).where(Target.workspace_id == ws)).all()
        assert len(targets) == 12 and all(t.is_hot and not t.needs_rescore for t in targets)
        assert db.session.get(JobRun, runs[0][0]).status == "finished"

    _burst(client, 1, start=100)  # after the pass, the next webhook queues the next pass
    assert [r[1] for r in _runs(app)] == ["finished", "queued"]


def test_single_process_suspended_workspace_stores_the_webhook_and_queues_nothing(app, client, factory):
    ws = _workspace(app, factory)
    with app.app_context():
        db.session.get(Workspace, ws).suspended_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    _burst(client, 1)
    assert _runs(app) == []
    with app.app_context():
        assert db.session.scalar(select(Target.needs_rescore)) is True  # the hourly pass still sees it


def test_redis_a_burst_is_one_rq_job_and_the_pass_frees_the_next_one(redis_app, factory):
    app, client = redis_app, redis_app.test_client()
    ws = _workspace(app, factory, threshold=20)
    _burst(client, 30)
    runs = _runs(app)
    assert len(runs) == 1 and runs[0][1:] == ("queued", "interactive", False, ws)
    with app.app_context():
        assert get_redis().exists(hot_path.pending_key(ws))
        # What a worker does with it (the real worker runs it in tests/bot/test_hot_after_webhook.py).
        result = jobs.execute(runs[0][0])
        assert result["became_hot"] == 30
        assert not get_redis().exists(hot_path.pending_key(ws))
    _burst(client, 2, start=200)
    assert [r[1] for r in _runs(app)] == ["finished", "queued"]
