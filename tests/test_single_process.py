"""The quick start's install does the whole job unattended: a real gunicorn on SQLite, no Redis, no run-job.

The gunicorn process is the only one running VistaFlow: its clock sends paced DMs and delayed ones, and a
delayed send survives a restart of the process and goes out once.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from core.db import db, utcnow
from core.models import DirectMessage, Door, JobRun, User
from core.services.identity.actors import Actor
from core.services.outreach import dms
from tests.conftest import DEFAULT_PASSWORD, ROOT, Factory, wait_for
from tests.dm_setup import commenters, instagram_shop

PURGE = "worker.jobs.maintenance.purge_audit_log"
GAP = 3  # seconds between two sends of one account (the workspace's pacing)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn --config gunicorn.conf.py wsgi:app`, as scripts/start.sh runs it."""

    def __init__(self, env: dict) -> None:
        self.env = env
        self.url = f"http://127.0.0.1:{env['PORT']}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_for(self._up, timeout=120, interval=0.3, message="gunicorn answering /healthz")
        return self

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError("gunicorn exited:\n" + self.proc.stdout.read())
        try:
            return httpx.get(self.url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> str:
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: the clock finishes its job and frees the lease
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        output, self.proc = self.proc.stdout.read(), None
        return output


@pytest.fixture
def install(tmp_path, instagram_emulator, monkeypatch):
    """A migrated SQLite install in its own instance folder, and the app the test reads it through."""
    from flask_migrate import upgrade

    from vistaflow import create_app

    monkeypatch.setenv("VISTAFLOW_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    emulator = {k: str(v) for k, v in instagram_emulator.config().items()}
    app = create_app({"TESTING": True, "REDIS_URL": None} | emulator)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/vistaflow.sqlite3"
    with app.app_context():
        upgrade()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "VISTAFLOW_INSTANCE_PATH": str(tmp_path),
        "VISTAFLOW_ENCRYPTION_KEYS": os.environ["VISTAFLOW_ENCRYPTION_KEYS"],
        "PORT": str(_free_port()),
        "WEB_THREADS": "4",
    } | emulator
    servers: list[Gunicorn] = []

    def server() -> Gunicorn:
        servers.append(Gunicorn(env))
        return servers[-1]

    app.server = server
    yield app
    for each in servers:
        each.stop()
    with app.app_context():
        db.engine.dispose()


def _drafts(app, emulator, count: int, gap: int = GAP) -> tuple[Factory, dict, int, list[int]]:
    factory = Factory(app.test_client())
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.CONSOLE)
        shop = instagram_shop(emulator, workspace["id"], gap=gap)
        ids = [
            dms.create_draft(target_id, actor=actor, text=f"Hello #{n}").id
            for n, target_id in enumerate(commenters(emulator, shop, count))
        ]
        db.session.remove()
    return owner, workspace, shop.account_id, ids


def _read(app, fn):
    # Short read transactions: a reader holding SQLite open would make the server's writes wait.
    with app.app_context():
        try:
            db.session.expire_all()
            return fn()
        finally:
            db.session.remove()


def _statuses(app, ids: list[int]) -> dict[int, str]:
    return _read(app, lambda: {dm.id: dm.status for dm in db.session.scalars(select(DirectMessage))})


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_bulk_approved_dms_are_all_sent_paced_by_the_web_process_alone(install, instagram_emulator):
    owner, workspace, _, ids = _drafts(install, instagram_emulator, 3)
    server = install.server().start()
    browser = httpx.Client(base_url=server.url, timeout=30)
    login = browser.get("/login").text
    browser.post(
        "/login", data={"csrf_token": CSRF.search(login).group(1), "email": owner.email, "password": DEFAULT_PASSWORD}
    )
    queue = browser.get(f"/w/{workspace['id']}/dm")
    assert queue.status_code == 200, queue.text[:300]
    approved = browser.post(
        f"/w/{workspace['id']}/dm/bulk-approve",
        data={"csrf_token": CSRF.search(queue.text).group(1), "dm_ids": [str(i) for i in ids]},
    )
    assert approved.status_code == 303
    assert "3 DMs approved." in browser.get(approved.headers["location"]).text

    wait_for(
        lambda: set(_statuses(install, ids).values()) == {"sent"},
        timeout=90,
        interval=0.5,
        message="all three DMs sent by the web process's clock",
    )
    sent = instagram_emulator.sent_messages
    assert len(sent) == 3 and len({m["recipient"]["comment_id"] for m in sent}) == 3
    times = sorted(_read(install, lambda: [dm.sent_at for dm in db.session.scalars(select(DirectMessage))]))
    assert all(b - a >= timedelta(seconds=GAP) for a, b in itertools.pairwise(times))  # paced
    # Every delayed run but the sign-ups' verification mails is a paced send.
    delayed = _read(
        install,
        lambda: db.session.scalars(select(JobRun).where(JobRun.due_at.is_not(None), JobRun.kind != "mail.send")).all(),
    )
    assert delayed and all(run.kind == "dm.send" and run.attempts == 1 for run in delayed)


def test_a_delayed_send_survives_a_restart_and_is_sent_once(install, instagram_emulator):
    # Paced far enough apart that the process is stopped before the second send is due.
    owner, _workspace, _, ids = _drafts(install, instagram_emulator, 2, gap=30)
    first = install.server().start()
    api = httpx.Client(base_url=first.url, timeout=30)
    token = api.post("/auth/login", json={"email": owner.email, "password": DEFAULT_PASSWORD}).json()["access_token"]
    for dm_id in ids:
        response = api.post(f"/dm/{dm_id}/approve", json={}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 202, response.text
    first.stop()  # before the second DM is due

    def waiting_run():
        return db.session.scalars(select(JobRun).where(JobRun.due_at.is_not(None), JobRun.status == "queued")).one()

    run = _read(install, waiting_run)
    assert run.args == [ids[1]] and len(instagram_emulator.sent_messages) == 1
    time.sleep(max(0.0, (run.due_at - utcnow()).total_seconds()) + 1)  # it falls due while nothing runs
    assert _statuses(install, ids)[ids[1]] == "approved" and len(instagram_emulator.sent_messages) == 1

    second = install.server().start()
    wait_for(lambda: _statuses(install, ids)[ids[1]] == "sent", timeout=60, interval=0.3, message="sent after restart")
    output = second.stop()  # lets any duplicate run happen before counting
    assert len(instagram_emulator.sent_messages) == 2, output
    assert len({m["recipient"]["comment_id"] for m in instagram_emulator.sent_messages}) == 2
    after = _read(install, lambda: db.session.get(JobRun, run.id))
    assert after.status == "finished" and after.attempts == 1 and after.result == {"status": "sent"}


def test_two_clock_processes_started_at_once_run_each_due_job_once(app, database_url):
    """The real schedule, every entry overdue (the install was down), and two runners started by mistake."""
    from core import jobs
    from core.models import ClockEntry, ClockLease
    from core.services.jobs import clock as state
    from tests.conftest import subprocess_env
    from worker.schedule import PERIODIC_JOBS

    with app.app_context():
        state.sync_entries(PERIODIC_JOBS)
        db.session.execute(update(ClockEntry).values(next_run_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        delayed = [
            jobs.enqueue_in(PURGE, delay=timedelta(0), kind=f"delayed-{n}", queue=queue).id
            for n, queue in enumerate(["interactive", "default", "bulk"] * 2)
        ]
        db.session.remove()
    env = subprocess_env(database_url)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "vistaflow", "clock"]
    runners = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    ids = [spec["id"] for spec in PERIODIC_JOBS]

    def everything_ran() -> bool:
        def check():
            runs = db.session.scalars(select(JobRun)).all()
            done = {r.id for r in runs if r.status in ("finished", "failed")}
            ran = {r.kind for r in runs if r.id in done}
            return set(delayed) <= done and set(ids) <= ran

        for runner in runners:
            assert runner.poll() is None, runner.stdout.read()
        return _read(app, check)

    try:
        wait_for(everything_ran, timeout=180, interval=0.5, message="every overdue entry and delayed run")
    finally:
        for runner in runners:
            runner.send_signal(signal.SIGTERM)
        outputs = [runner.communicate(timeout=60)[0] for runner in runners]
    assert all("started" in output for output in outputs), outputs

    def runs_by_kind():
        return [(r.kind, r.created_at, r.attempts) for r in db.session.scalars(select(JobRun))]

    runs = _read(app, runs_by_kind)
    for job_id in ids:
        # An every-minute entry may come round again during the test; a duplicate would be a second run at once.
        times = sorted(created for kind, created, _ in runs if kind == job_id)
        assert times and all(b - a > timedelta(seconds=30) for a, b in itertools.pairwise(times)), (job_id, times)
    assert sorted(attempts for kind, _, attempts in runs if kind.startswith("delayed-")) == [1] * len(delayed)
    assert _read(app, lambda: db.session.get(ClockLease, state.LEASE)) is None  # freed on SIGTERM
