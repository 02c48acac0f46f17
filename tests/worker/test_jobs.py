"""Jobs end to end: in-process without Redis, and through real RQ workers with Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import AuditEntry, JobRun
from tests.conftest import wait_for

PURGE = "worker.jobs.maintenance.purge_audit_log"


def _old_and_new_audit_entries() -> None:
    old = utcnow() - timedelta(days=400)
    for i in range(3):
        db.session.add(AuditEntry(actor_label="system", door="system", action=f"old.{i}", created_at=old, details={}))
    db.session.add(AuditEntry(actor_label="system", door="system", action="recent", details={}))
    db.session.commit()


def _audit_actions() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(AuditEntry.action)))


def test_without_redis_a_job_runs_in_process_and_is_recorded(app_ctx):
    from core import jobs

    _old_and_new_audit_entries()
    run = jobs.enqueue(PURGE, kind="audit-log-retention", queue=jobs.QUEUE_BULK)
    assert run.status == "finished"
    assert run.result == {"deleted": 3, "retention_days": 365}
    assert _audit_actions() == ["recent"]


def test_a_failing_in_process_job_is_recorded_as_failed(app_ctx):
    from core import jobs

    run = jobs.enqueue("worker.jobs.maintenance.no_such_job", kind="broken")
    assert run.status == "failed" and "AttributeError" in run.error


def test_real_rq_worker_runs_jobs_each_in_its_own_app_context(redis_app, redis_client, start_worker):
    from core import jobs

    with redis_app.app_context():
        _old_and_new_audit_entries()
        runs = [jobs.enqueue(PURGE, kind="audit-log-retention", queue=jobs.QUEUE_BULK) for _ in range(3)]
        assert {r.status for r in runs} == {"queued"}
        assert Queue("bulk", connection=redis_client).count == 3
        ids = [r.id for r in runs]

    worker = start_worker()
    with redis_app.app_context():

        def finished():
            db.session.expire_all()
            statuses = db.session.scalars(select(JobRun.status).where(JobRun.id.in_(ids))).all()
            return all(s == "finished" for s in statuses) and len(statuses) == 3

        wait_for(finished, timeout=60, message=f"3 jobs finished; worker said: {worker.proc.poll()}")
        results = db.session.scalars(select(JobRun.result).where(JobRun.id.in_(ids))).all()
        assert sorted(r["deleted"] for r in results) == [0, 0, 3]
        assert _audit_actions() == ["recent"]


def test_interactive_queue_is_served_before_bulk(redis_app, redis_client, start_worker):
    from core import jobs

    with redis_app.app_context():
        bulk = [jobs.enqueue(PURGE, kind="bulk-work", queue=jobs.QUEUE_BULK) for _ in range(3)]
        urgent = jobs.enqueue(PURGE, kind="urgent", queue=jobs.QUEUE_INTERACTIVE)
        bulk_ids, urgent_id = [r.id for r in bulk], urgent.id
        ids = [*bulk_ids, urgent_id]
    start_worker()
    with redis_app.app_context():

        def all_done():
            db.session.expire_all()
            return db.session.scalar(select(func.count()).where(JobRun.id.in_(ids), JobRun.status == "finished")) == 4

        wait_for(all_done, timeout=60, message="all jobs finished")
        started = {r.id: r.started_at for r in db.session.scalars(select(JobRun).where(JobRun.id.in_(ids)))}
        assert started[urgent_id] < min(started[i] for i in bulk_ids)


def test_enqueue_when_redis_is_down_is_a_clear_503(database_url, app_config):
    from core import jobs
    from core.errors import Unavailable
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0"})
    with app.app_context():
        try:
            jobs.enqueue(PURGE, kind="audit-log-retention")
        except Unavailable as exc:
            assert "queue is unavailable" in exc.message
        else:
            raise AssertionError("expected Unavailable")
        run = db.session.scalar(select(JobRun).order_by(JobRun.created_at.desc()))
        assert run.status == "failed"
        db.session.execute(JobRun.__table__.delete())
        db.session.commit()
        db.engine.dispose()


def test_job_status_api_is_scoped_to_the_requester(app, factory):
    from core import jobs

    owner = factory.user()
    other = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        run = jobs.enqueue(
            PURGE, kind="audit-log-retention", workspace_id=workspace["id"], requested_by=owner.user["id"]
        )
        failed = jobs.enqueue("worker.jobs.maintenance.missing", kind="broken", workspace_id=workspace["id"])
        run_id, failed_id = run.id, failed.id
    body = owner.get(f"/jobs/{run_id}").get_json()
    assert body["status"] == "finished" and body["result"]["retention_days"] == 365
    assert other.get(f"/jobs/{run_id}").status_code == 404
    assert other.post(f"/jobs/{failed_id}/retry").status_code == 404
    assert owner.post(f"/jobs/{run_id}/retry").status_code == 409
    retried = owner.post(f"/jobs/{failed_id}/retry")
    assert retried.status_code == 202 and retried.get_json()["status"] == "failed"
    assert retried.get_json()["id"] != failed_id


def test_enqueue_in_schedules_on_rq_and_without_redis_on_the_in_process_clock(app, redis_app, redis_client):
    from core import jobs

    with app.app_context():
        local = jobs.enqueue_in(PURGE, delay=timedelta(minutes=5), kind="audit-log-retention")
        # Persisted with its due time for the web process's clock (tests/worker/test_clock.py runs it).
        assert local.status == "queued" and local.due_at is not None
        assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1
    with redis_app.app_context():
        run = jobs.enqueue_in(PURGE, delay=timedelta(minutes=5), kind="audit-log-retention", queue=jobs.QUEUE_BULK)
        assert run.status == "queued" and run.due_at is None  # RQ's scheduler holds it, not the clock
    registry = Queue("bulk", connection=redis_client).scheduled_job_registry
    assert registry.get_job_ids() == [run.id]
    assert 240 < (registry.get_scheduled_time(run.id) - utcnow()).total_seconds() <= 300


def test_enqueue_in_when_redis_is_down_marks_the_run_failed(database_url, app_config):
    from core import jobs
    from core.errors import Unavailable
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0"})
    with app.app_context():
        try:
            with pytest.raises(Unavailable):
                jobs.enqueue_in(PURGE, delay=timedelta(seconds=30), kind="audit-log-retention")
            # Never left `queued`: that reads as work in progress (a collection "running" forever).
            run = db.session.scalar(select(JobRun).order_by(JobRun.created_at.desc()))
            assert run.status == "failed" and run.ended_at is not None
        finally:
            db.session.execute(JobRun.__table__.delete())
            db.session.commit()
            db.engine.dispose()


@pytest.mark.parametrize("change", ["added", "modified", "flushed"])
def test_recording_a_job_refuses_the_callers_uncommitted_changes(app_ctx, change):
    from core import jobs

    _old_and_new_audit_entries()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recent"))
    if change == "added":
        db.session.add(AuditEntry(actor_label="system", door="system", action="uncommitted", details={}))
    else:
        entry.action = "changed"
        if change == "flushed":
            db.session.flush()
    with pytest.raises(RuntimeError, match="commit"):
        jobs.enqueue(PURGE, kind="audit-log-retention")
    # Neither the caller's change nor a run was committed behind the caller's back.
    db.session.rollback()
    assert "recent" in _audit_actions() and "changed" not in _audit_actions()
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 0
    # Setting a value to what it already is is no change: recording goes ahead.
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recent"))
    entry.action = "recent"
    assert jobs.enqueue(PURGE, kind="audit-log-retention").status == "finished"
