"""Periodic jobs: one declarative list, synced by stable ids, run by a real worker."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.models import JobRun
from tests.conftest import wait_for
from worker.schedule import PERIODIC_JOBS
from worker.scheduler import build_scheduler, sync_schedule


def _ours(scheduler):
    return sorted(job.id for job in scheduler.get_jobs() if job.meta.get("vistaflow_periodic"))


def test_sync_is_idempotent_and_follows_the_list(redis_client):
    scheduler = build_scheduler(redis_client)
    first = sync_schedule(scheduler)
    assert sorted(first["added"]) == sorted(j["id"] for j in PERIODIC_JOBS)
    again = sync_schedule(build_scheduler(redis_client))  # a restarted scheduler
    assert again["added"] == [] and again["removed"] == []
    assert _ours(scheduler) == sorted(j["id"] for j in PERIODIC_JOBS)

    changed = [dict(PERIODIC_JOBS[0], cron="0 4 * * *")]
    result = sync_schedule(scheduler, changed)
    assert PERIODIC_JOBS[0]["id"] in result["removed"]
    assert result["added"] == [PERIODIC_JOBS[0]["id"]]
    job = next(j for j in scheduler.get_jobs() if j.id == PERIODIC_JOBS[0]["id"])
    assert job.meta["cron_string"] == "0 4 * * *"
    assert _ours(scheduler) == [PERIODIC_JOBS[0]["id"]]

    assert sync_schedule(scheduler, [])["removed"] == [PERIODIC_JOBS[0]["id"]]
    assert _ours(scheduler) == []


def test_a_second_scheduler_does_not_get_the_lock(redis_client):
    first, second = build_scheduler(redis_client), build_scheduler(redis_client)
    assert first.acquire_lock()
    assert not second.acquire_lock()
    first.remove_lock()
    assert second.acquire_lock()
    second.remove_lock()


def test_scheduled_entry_runs_end_to_end_on_a_real_worker(redis_app, redis_client, start_worker):
    scheduler = build_scheduler(redis_client)
    sync_schedule(scheduler)
    job = next(j for j in scheduler.get_jobs() if j.id == "audit-log-retention")
    scheduler.enqueue_job(job)  # what the scheduler does when the cron time comes
    start_worker()
    with redis_app.app_context():

        def recorded():
            db.session.expire_all()
            return db.session.scalar(
                select(JobRun).where(JobRun.kind == "audit-log-retention", JobRun.status == "finished")
            )

        run = wait_for(recorded, timeout=60, message="the periodic job to finish")
        assert run.result["retention_days"] == 365
    # The cron entry is still scheduled for next time, exactly once.
    assert [j.id for j in scheduler.get_jobs()].count("audit-log-retention") == 1
