"""Faults: Redis restarted during a collection, PostgreSQL connections cut under a running worker, the platform
answering 500 / 429 / too slowly, and the scheduler started twice.

A worker killed mid-send (the DM is `unknown`, never resent) is covered by
tests/worker/test_dm_workers.py::test_worker_killed_after_platform_accepted_leaves_unknown_never_resent.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.db import db, utcnow
from core.models import AccountCollectionState, Interaction, JobRun
from core.platforms.instagram import InstagramClient
from core.services.collection import cycle as collection
from tests.conftest import ROOT, Factory, WorkerProcess, subprocess_env, wait_for
from tests.emulators.server import Reply
from tests.factories import make_account

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A throw-away redis-server of this test only (the shared one on 6379 is never touched)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: self._ping(), timeout=10, message="redis-server to start")
        return self

    def _ping(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except Exception:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.stop()


def ago(**kwargs) -> datetime:
    return datetime.now(UTC) - timedelta(**kwargs)


def _app(database_url: str, redis_url: str | None, extra: dict | None = None):
    from vistaflow import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "REDIS_URL": redis_url} | (extra or {})
    )


def _interactions(app, account_id: int) -> tuple[int, int]:
    with app.app_context():
        db.session.remove()
        total = db.session.scalar(select(func.count()).where(Interaction.social_account_id == account_id))
        distinct = db.session.scalar(
            select(func.count(func.distinct(Interaction.platform_id))).where(
                Interaction.social_account_id == account_id
            )
        )
        return total, distinct


@pytest.mark.slow
def test_redis_restarted_during_a_collection(app, database_url, private_redis, instagram_emulator):
    """The collection is cut half-way (Redis and its worker die); reads keep working, enqueueing says 503;
    after the restart the collection runs again and every comment is stored exactly once."""
    redis_app = _app(database_url, private_redis.url, instagram_emulator.config())
    client = redis_app.test_client()
    owner = Factory(client).user()
    ws = Factory(client).workspace(owner)["id"]
    ig_user_id = instagram_emulator.add_account(username="busy_shop")
    posts = [instagram_emulator.add_media(ig_user_id, caption=f"post {n}", timestamp=ago(days=1)) for n in range(6)]
    for n, post in enumerate(posts):
        for c in range(8):
            instagram_emulator.add_comment(post, f"comment {c}", f"fan{c}", f"u-{c}", timestamp=ago(hours=20 - c))
    expected = 6 * 8
    with redis_app.app_context():
        account_id = make_account(
            ws, platform_user_id=ig_user_id, access_token=instagram_emulator.issue_token(ig_user_id)
        ).id
    # Every comments page is slow, so the job is still running when Redis goes away.
    instagram_emulator.add_fault(None, count=1000, delay=0.4, path_contains="/comments")
    env = subprocess_env(database_url, private_redis.url, **instagram_emulator.config())
    worker = WorkerProcess(env, ["bulk"])
    try:
        started = owner.post(f"/interactions/collect/{account_id}")
        assert started.status_code == 202, started.get_json()
        wait_for(
            lambda: 0 < _interactions(redis_app, account_id)[0] < expected,
            timeout=30,
            message="the collection to be half-way",
        )

        # Redis restarts; the worker on it dies too.
        private_redis.stop()
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(timeout=10)
        partial = _interactions(redis_app, account_id)[0]
        assert 0 < partial < expected

        reads = owner.get(f"/interactions/workspace/{ws}")
        assert reads.status_code == 200 and reads.get_json()["items"]
        refused = owner.post(f"/interactions/collect/{account_id}")
        assert refused.status_code == 503
        assert "queue" in refused.get_json()["error"]["message"].lower()

        private_redis.start()
        instagram_emulator.faults.clear()
        worker = WorkerProcess(env, ["bulk"])
        rerun = owner.post(f"/interactions/collect/{account_id}")
        assert rerun.status_code == 202, rerun.get_json()
        job_id = rerun.get_json()["id"] if "id" in rerun.get_json() else rerun.get_json()["job_id"]

        def finished():
            with redis_app.app_context():
                db.session.remove()
                return db.session.get(JobRun, job_id).status == "finished"

        wait_for(finished, timeout=60, message="the rerun to finish")
        assert _interactions(redis_app, account_id) == (expected, expected)  # nothing lost, nothing twice
    finally:
        worker.stop()
        with redis_app.app_context():
            db.engine.dispose()


def _terminate_backends(database_url: str) -> int:
    url = make_url(database_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        ).fetchall()
    return len(rows)


@pytest.mark.slow
def test_worker_reconnects_after_its_database_connections_are_cut(redis_app, redis_client, start_worker, database_url):
    """What a PostgreSQL restart looks like to a running worker: every connection dropped under it."""
    from core import jobs

    start_worker(["default"])
    with redis_app.app_context():
        first = jobs.enqueue("worker.jobs.maintenance.purge_audit_log", kind="before-cut")

        def status(run_id):
            db.session.remove()
            return db.session.get(JobRun, run_id).status

        wait_for(lambda: status(first.id) == "finished", timeout=30, message="the first job")
        db.session.remove()  # this test's own connection goes back to the pool, where pre-ping will find it dead
        assert _terminate_backends(database_url) >= 1
        second = jobs.enqueue("worker.jobs.maintenance.purge_audit_log", kind="after-cut")
        wait_for(lambda: status(second.id) == "finished", timeout=30, message="the job after the cut")


def _terminate_sleeper(database_url: str) -> int:
    from tests.fault_jobs import SLEEPER_APP_NAME

    url = make_url(database_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = %s AND state = 'active' AND query LIKE 'SELECT pg_sleep%%'",
            (url.database, SLEEPER_APP_NAME),
        ).fetchall()
    return sum(1 for (done,) in rows if done)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("job", "error"),
    [
        ("sleep_in_transaction", "OperationalError: terminating connection due to administrator command"),
        # A job that catches the error and returns normally leaves a session that can only be rolled back.
        ("sleep_and_swallow_the_error", "PendingRollbackError"),
    ],
)
def test_connection_cut_during_a_job_fails_it_cleanly_and_the_next_job_reconnects(
    redis_app, redis_client, start_worker, database_url, job, error
):
    """The job's own backend is terminated mid-transaction: recorded failed (not left running), then work goes on."""
    from core import jobs

    worker = start_worker(["default"])
    with redis_app.app_context():

        def run(run_id):
            db.session.remove()
            return db.session.get(JobRun, run_id)

        sleeper = jobs.enqueue(f"tests.fault_jobs.{job}", 60, kind="sleeper")
        wait_for(lambda: _terminate_sleeper(database_url) == 1, timeout=30, message="the job sleeping in PostgreSQL")
        failed = wait_for(
            lambda: (r := run(sleeper.id)).status == "failed" and r, timeout=20, message="the cut job recorded failed"
        )
        assert failed.ended_at is not None and failed.result is None
        assert failed.error.startswith(error), failed.error
        # The driver's message only: no SQL text or bound parameters in what the console and API show.
        assert "pg_sleep" not in failed.error and "[parameters" not in failed.error
        # Nothing of the cut transaction survived, and the worker is not stuck on the dead connection.
        after = jobs.enqueue("worker.jobs.maintenance.purge_audit_log", kind="after-cut")
        wait_for(lambda: run(after.id).status == "finished", timeout=30, message="the job after the cut")
        assert worker.proc.poll() is None
        db.session.remove()


# ------------------------------------------------------------------ the platform misbehaving


@pytest.fixture
def ig_account(app_ctx, factory, instagram_emulator):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    ig_user_id = instagram_emulator.add_account(username="flaky_shop")
    post = instagram_emulator.add_media(ig_user_id, caption="drop", timestamp=ago(days=1))
    instagram_emulator.add_comment(post, "price?", "ann", "u-ann", timestamp=ago(hours=3))
    token = instagram_emulator.issue_token(ig_user_id)
    account = make_account(ws, platform_user_id=ig_user_id, access_token=token)
    return account.id, ig_user_id, token


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


def _client(app_ctx, instagram_emulator, ig_user_id: str, token: str, sleeps: list[float], timeout: float = 5.0):
    return InstagramClient(
        token,
        ig_user_id,
        api_url=app_ctx.config["INSTAGRAM_API_URL"],
        api_version=app_ctx.config["INSTAGRAM_API_VERSION"],
        timeout=timeout,
        sleep=sleeps.append,
    )


def test_platform_500s_are_retried_with_backoff_then_given_up(app_ctx, instagram_emulator, ig_account):
    account_id, ig_user_id, token = ig_account
    instagram_emulator.add_fault(Reply(500, {"error": {"message": "oops", "code": 1}}), count=100)
    sleeps: list[float] = []
    result = collection.collect_account(
        account_id, client=_client(app_ctx, instagram_emulator, ig_user_id, token, sleeps)
    )
    assert result.errors and "PlatformUnavailable" in result.errors[0]
    # One call and two retries, each after a longer pause: no hot loop.
    assert len(instagram_emulator.calls()) == 3
    assert sleeps == [0.5, 1.0]
    assert _count(account_id) == 0


def test_platform_429_backs_off_and_the_next_cycle_makes_no_call(app_ctx, instagram_emulator, ig_account):
    account_id, ig_user_id, token = ig_account
    instagram_emulator.add_fault(
        Reply(
            429, {"error": {"message": "Application request limit reached", "code": 4}}, headers={"Retry-After": "120"}
        ),
        count=100,
    )
    sleeps: list[float] = []
    result = collection.collect_account(
        account_id, client=_client(app_ctx, instagram_emulator, ig_user_id, token, sleeps)
    )
    assert result.errors and "rate limited" in result.errors[0]
    state = db.session.get(AccountCollectionState, account_id)
    assert state.backoff_until > utcnow() + timedelta(seconds=60)
    calls = len(instagram_emulator.calls())
    assert calls == 1
    for _ in range(5):  # the 15-minute fan-out and manual runs keep away until the back-off ends
        assert collection.collect_account(account_id).skipped.startswith("rate limited until")
    assert len(instagram_emulator.calls()) == calls
    assert account_id not in [a for _, a in collection.due_accounts()]


def test_platform_timeouts_are_bounded_and_then_collected_later(app_ctx, instagram_emulator, ig_account):
    account_id, ig_user_id, token = ig_account
    instagram_emulator.add_fault(None, count=3, delay=1.0)
    sleeps: list[float] = []
    started = time.monotonic()
    result = collection.collect_account(
        account_id, client=_client(app_ctx, instagram_emulator, ig_user_id, token, sleeps, timeout=0.3)
    )
    assert result.errors and "Timeout" in result.errors[0]
    assert len(instagram_emulator.calls()) == 3 and sleeps == [0.5, 1.0]
    assert time.monotonic() - started < 5
    # The platform recovers: the next run collects what was missed.
    time.sleep(1.2)
    assert collection.collect_account(account_id).new_interactions == 1


def _count(account_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(Interaction.social_account_id == account_id))


# ------------------------------------------------------------------ the scheduler started twice


@pytest.mark.slow
def test_two_schedulers_enqueue_each_due_job_once(database_url, private_redis):
    from worker.scheduler import build_scheduler, sync_schedule

    redis = Redis.from_url(private_redis.url)
    scheduler = build_scheduler(redis)
    synced = sync_schedule(scheduler)
    ids = synced["added"]
    assert ids
    # Make every periodic job due now, as if the machine had been off past their time.
    due = int(time.time()) - 5
    redis.zadd(scheduler.scheduled_jobs_key, {job_id: due for job_id in ids})

    env = subprocess_env(database_url, private_redis.url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "worker.scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    try:
        queues = {name: Queue(name, connection=redis) for name in ("interactive", "default", "bulk")}

        def enqueued() -> list[str]:
            return [job_id for q in queues.values() for job_id in q.get_job_ids()]

        wait_for(lambda: len(set(enqueued())) == len(ids), timeout=30, message="the due jobs to be enqueued")
        time.sleep(3)  # give the second scheduler every chance to enqueue them again
        assert sorted(enqueued()) == sorted(ids), "a periodic job was enqueued twice"
        assert all(p.poll() is None for p in procs)
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
