"""The single-process clock (no Redis): delayed and periodic jobs, persisted, run once, by one runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core import jobs
from core.db import db, utcnow
from core.models import ClockEntry, ClockLease, JobRun
from core.services.collection import cycle as collection
from core.services.jobs import clock as state
from tests.conftest import wait_for
from vistaflow.clock import Clock
from worker.schedule import PERIODIC_JOBS

PURGE = "worker.jobs.maintenance.purge_audit_log"
NEVER = "0 0 1 1 *"  # a slot the test moves into the past itself


def _spec(job_id: str, cron: str = NEVER, queue: str = "bulk", func_path: str = PURGE) -> dict:
    return {"id": job_id, "func": func_path, "cron": cron, "queue": queue, "description": job_id}


def _runs(kind: str) -> list[JobRun]:
    db.session.expire_all()
    runs = db.session.scalars(select(JobRun).where(JobRun.kind == kind).order_by(JobRun.created_at)).all()
    db.session.commit()
    return list(runs)


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def workspace_id(factory):
    return factory.workspace(factory.user())["id"]


@pytest.fixture
def second_app(app):
    """Another app on the same database: what a second process started by mistake would be."""
    from vistaflow import create_app

    other = create_app(dict(app.config))
    yield other
    with other.app_context():
        db.engine.dispose()


def test_without_redis_a_delayed_job_is_a_persisted_run_with_its_due_time(app_ctx):
    before = utcnow()
    run = jobs.enqueue_in(PURGE, delay=timedelta(minutes=5), kind="audit-log-retention", queue=jobs.QUEUE_BULK)
    stored = db.session.get(JobRun, run.id)
    assert stored.status == "queued" and stored.attempts == 0
    assert before + timedelta(minutes=5) <= stored.due_at <= utcnow() + timedelta(minutes=5)


def test_a_delayed_run_runs_once_when_due_and_not_before(app):
    clock = Clock(app, schedule=[], poll_seconds=0.05)
    with app.app_context():
        later = jobs.enqueue_in(PURGE, delay=timedelta(hours=1), kind="later", queue=jobs.QUEUE_BULK).id
        due = jobs.enqueue_in(PURGE, delay=timedelta(0), kind="due", queue=jobs.QUEUE_BULK).id
    assert clock.hold_lease()
    assert clock.run_due("interactive") == 0  # bulk work is the background lane's
    assert clock.run_due("background") == 1
    assert clock.run_due("background") == 0
    with app.app_context():
        assert db.session.get(JobRun, due).status == "finished" and db.session.get(JobRun, due).attempts == 1
        assert db.session.get(JobRun, later).status == "queued"


def test_a_periodic_collection_runs_on_its_own_schedule(app, instagram_emulator, workspace_id):
    from tests.dm_setup import instagram_shop

    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace_id)
        instagram_emulator.add_comment(shop.media_id, "how much?", "fan_1", "90001")
    spec = next(job for job in PERIODIC_JOBS if job["id"] == "collect-interactions")
    every_two_seconds = dict(spec, cron="* * * * * */2")  # the real job and function, on a short schedule
    clock = Clock(app, schedule=[every_two_seconds], poll_seconds=0.1).start()
    try:
        with app.app_context():
            wait_for(lambda: len([r for r in _runs("collect-interactions") if r.status == "finished"]) >= 2, 30)
            collections = _runs(collection.JOB_KIND)
            assert collections and {r.status for r in collections} == {"finished"}
            assert {r.args[0] for r in collections} == {shop.account_id}
            entry = db.session.get(ClockEntry, "collect-interactions")
            assert entry.next_run_at > utcnow() - timedelta(seconds=3) and entry.last_run_id
    finally:
        clock.stop()
    with app.app_context():
        from core.models import Interaction

        assert db.session.scalar(select(func.count()).select_from(Interaction)) == 1  # collected once, stored once


def test_a_slot_missed_while_the_process_was_down_runs_once_on_start(app):
    schedule = [_spec("missed")]
    with app.app_context():
        state.sync_entries(schedule)
        # Down for three days: the daily slot passed three times.
        db.session.execute(
            update(ClockEntry).where(ClockEntry.id == "missed").values(next_run_at=utcnow() - timedelta(days=3))
        )
        db.session.commit()
    clock = Clock(app, schedule=schedule)
    assert clock.hold_lease()
    assert clock.run_due("background") == 1
    assert clock.run_due("background") == 0
    with app.app_context():
        assert len(_runs("missed")) == 1
        assert db.session.get(ClockEntry, "missed").next_run_at > utcnow()


def test_two_runners_started_at_once_run_each_due_job_once(app, second_app):
    schedule = [_spec("nightly"), _spec("chat-ish", queue="interactive")]
    with app.app_context():
        state.sync_entries(schedule)
        db.session.execute(update(ClockEntry).values(next_run_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        delayed = [
            jobs.enqueue_in(PURGE, delay=timedelta(0), kind=f"delayed-{n}", queue=queue).id
            for n, queue in enumerate(["interactive", "default", "bulk"] * 4)
        ]
    clocks = [Clock(a, schedule=schedule, poll_seconds=0.05) for a in (app, second_app)]
    gate = threading.Barrier(2)

    def start(clock: Clock) -> None:
        gate.wait()
        clock.start()

    starters = [threading.Thread(target=start, args=(c,)) for c in clocks]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    try:
        with app.app_context():

            def all_done():
                db.session.expire_all()
                done = db.session.scalar(
                    select(func.count()).select_from(JobRun).where(JobRun.id.in_(delayed), JobRun.status == "finished")
                )
                db.session.commit()
                return done == len(delayed) and len(_runs("nightly")) == 1 and len(_runs("chat-ish")) == 1

            wait_for(all_done, 30, message="every due job run")
        assert sum(clock.leader for clock in clocks) == 1
    finally:
        for clock in clocks:
            clock.stop()
    assert sum(clock.leader for clock in clocks) == 0  # both stopped; one of them had held the lease
    with app.app_context():
        assert [db.session.get(JobRun, run_id).attempts for run_id in delayed] == [1] * len(delayed)
        assert len(_runs("nightly")) == 1 and len(_runs("chat-ish")) == 1
        assert db.session.get(ClockLease, state.LEASE) is None  # the leader gave it up on stop


def test_two_runners_that_both_think_they_lead_still_claim_each_job_once(app, second_app):
    # A clock jump or a paused process can leave two runners sure of the lease: the claims still hold.
    schedule = [_spec("nightly")]
    with app.app_context():
        state.sync_entries(schedule)
        db.session.execute(update(ClockEntry).values(next_run_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        delayed = [jobs.enqueue_in(PURGE, delay=timedelta(0), kind="race", queue="bulk").id for _ in range(10)]
    clocks = [Clock(a, schedule=schedule) for a in (app, second_app)]
    for clock in clocks:
        clock.leader = True
    gate = threading.Barrier(2)
    counts: list[int] = []

    def race(clock: Clock) -> None:
        gate.wait()
        counts.append(clock.run_due("background"))

    racers = [threading.Thread(target=race, args=(c,)) for c in clocks]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join()
    assert sum(counts) == len(delayed) + 1
    with app.app_context():
        assert [db.session.get(JobRun, run_id).attempts for run_id in delayed] == [1] * len(delayed)
        assert len(_runs("nightly")) == 1


def test_the_lease_has_one_holder_until_released_or_expired(app, second_app):
    first = Clock(app, schedule=[], lease_seconds=30)
    second = Clock(second_app, schedule=[], lease_seconds=30)
    assert first.hold_lease() and not second.hold_lease()
    assert first.hold_lease()  # renewing
    first.stop()  # releases
    assert second.hold_lease() and not first.hold_lease()
    with app.app_context():
        db.session.execute(update(ClockLease).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert first.hold_lease() and not second.hold_lease()  # an expired lease is taken over


def test_a_lease_held_by_a_dead_process_on_this_host_is_taken_at_once(app):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    holder = f"{socket.gethostname()}:{dead.stdout.strip()}:gone"
    with app.app_context():
        assert state.hold_lease(holder, timedelta(minutes=5)) == "acquired"
    live = f"{socket.gethostname()}:{os.getpid()}:alive"
    with app.app_context():
        assert state.hold_lease(live, timedelta(minutes=5)) == "acquired"
        assert state.hold_lease("other-host:1:x", timedelta(minutes=5)) is None


def test_a_run_a_dead_runner_had_claimed_is_failed_not_rerun(app):
    with app.app_context():
        run_id = jobs.enqueue_in(PURGE, delay=timedelta(0), kind="cut-off", queue="bulk").id
        assert state.claim_due_run(["bulk"]) == run_id  # claimed, then the process died
    clock = Clock(app, schedule=[])
    assert clock.hold_lease()
    assert clock.run_due("background") == 0
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        assert run.status == "failed" and run.error == state.ORPHANED and run.attempts == 0


def test_start_in_process_is_for_installs_without_redis(redis_app):
    from vistaflow.clock import start_in_process

    assert start_in_process(redis_app) is None


def test_doctor_says_who_runs_the_clock_and_when_nobody_does(app):
    from vistaflow.doctor import check_clock

    with app.app_context():
        late = jobs.enqueue_in(PURGE, delay=timedelta(0), kind="late", queue="bulk").id
        db.session.execute(update(JobRun).where(JobRun.id == late).values(due_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
        nobody = check_clock()
        assert not nobody.ok and "no web process is running the clock" in nobody.detail and "1 overdue" in nobody.detail
        assert "flask vistaflow clock" in nobody.fix
    clock = Clock(app, schedule=[])
    assert clock.hold_lease()
    with app.app_context():
        running = check_clock()
        assert running.ok and clock.holder in running.detail and "1 delayed job(s) waiting" in running.detail


def test_a_waiting_delayed_job_shows_when_it_is_due(app, factory, console):
    owner = factory.user()
    workspace_id = factory.workspace(owner)["id"]
    with app.app_context():
        run_id = jobs.enqueue_in(
            PURGE, delay=timedelta(hours=2), kind="audit-log-retention", queue="bulk", workspace_id=workspace_id
        ).id
        due = db.session.get(JobRun, run_id).due_at
    body = owner.get(f"/jobs/{run_id}").get_json()
    assert body["status"] == "queued" and body["due_at"].startswith(due.strftime("%Y-%m-%dT%H:%M"))
    console.login(owner.email)
    page = console.get(f"/w/{workspace_id}/jobs").get_data(as_text=True)
    assert "due " in page.split(f'id="job-{run_id}"')[1].split("</tr>")[0]
