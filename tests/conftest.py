"""Test set-up: a fresh PostgreSQL database migrated once per run, a Redis db claimed per run,
and helpers (`api`, `factory`, `console`) that go through the real doors.

TEST_DATABASE_URL (a server/maintenance database URL) and TEST_REDIS_URL point elsewhere
than the local defaults.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from redis import Redis
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

pytest_plugins = ["tests.emulators.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DB_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
DEFAULT_PASSWORD = "correct-horse-battery"

# Each run gets its own names, so two runs on one machine never share state.
RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"
INSTANCE_DIR = tempfile.mkdtemp(prefix="vistaflow-test-instance-")
os.environ.setdefault("VISTAFLOW_INSTANCE_PATH", INSTANCE_DIR)
os.environ.setdefault("VISTAFLOW_ENCRYPTION_KEYS", "k1:" + "A" * 43 + "=")
# Worker and server processes get a PostgreSQL DATABASE_URL: say development, or they refuse the dev SECRET_KEY.
os.environ.setdefault("VISTAFLOW_ENV", "development")


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> str:
    """A brand-new PostgreSQL database for this run, migrated to head once."""
    name = f"vf_test_{RUN_ID}"
    admin = _psycopg_url(ADMIN_DB_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)

    from flask_migrate import upgrade

    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        from core.db import db

        db.engine.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Claim a Redis database number no other test run on this machine is using."""
    for number in range(1, 16):
        client = Redis.from_url(f"{TEST_REDIS_BASE}/{number}")
        if client.set("vistaflow:test-run-claim", RUN_ID, nx=True, ex=3 * 3600):
            client.flushdb()
            client.set("vistaflow:test-run-claim", RUN_ID, ex=3 * 3600)
            yield f"{TEST_REDIS_BASE}/{number}"
            client.flushdb()
            return
    pytest.fail("no free Redis database (1-15) to claim for this test run")


@pytest.fixture
def redis_client(redis_url):
    client = Redis.from_url(redis_url)
    _flush_keep_claim(client)
    yield client
    _flush_keep_claim(client)


def _flush_keep_claim(client: Redis) -> None:
    claim = client.get("vistaflow:test-run-claim")
    client.flushdb()
    if claim:
        client.set("vistaflow:test-run-claim", claim, ex=3 * 3600)


def truncate_all(db) -> None:
    """Empty every table of the test database (the schema stays migrated)."""
    db.session.remove()
    tables = [name for name in inspect(db.engine).get_table_names() if name != "alembic_version"]
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    db.engine.dispose()


@pytest.fixture
def app_config() -> dict:
    """Override in a test module (or parametrize) to change the app's config."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    from core.db import db
    from vistaflow import create_app

    # A closed loopback port for Instagram unless a test points it at an emulator: nothing leaves the machine.
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "REDIS_URL": None,
        "INSTAGRAM_API_URL": "http://127.0.0.1:9",
    } | app_config
    app = create_app(config)
    yield app
    with app.app_context():
        truncate_all(db)
    from core import throttle

    throttle.forget_memory()  # its keys name users by id, and ids start again at 1


@pytest.fixture
def redis_app(database_url, redis_url, redis_client, app_config):
    """The app wired to the claimed Redis: jobs go to RQ instead of running in-process."""
    from core.db import db
    from vistaflow import create_app

    config = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "REDIS_URL": redis_url} | app_config
    app = create_app(config)
    yield app
    with app.app_context():
        truncate_all(db)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


# ------------------------------------------------------------------ API helper


class Api:
    """Talks to the JSON API like a client would, remembering a Bearer token."""

    def __init__(self, client, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return headers | (extra or {})

    def request(self, method: str, path: str, json=None, headers=None, **kwargs):
        return self.client.open(path, method=method, json=json, headers=self.headers(headers), **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def as_user(self, token: str) -> Api:
        return Api(self.client, token)


def verification_link(app, user_id: int) -> str:
    """The link in the newest verification mail recorded for the user (its body is kept until sent)."""
    from core.db import db
    from core.models import MailMessage

    with app.app_context():
        body = db.session.scalar(
            select(MailMessage.body_text)
            .where(MailMessage.user_id == user_id, MailMessage.kind == "verify_email")
            .order_by(MailMessage.id.desc())
        )
    match = re.search(r"\S+/verify-email/\S+", body or "")
    assert match, f"no verification link mailed to user {user_id}"
    return match.group(0)


class Factory:
    """Creates users and workspaces through the API (the real write path)."""

    def __init__(self, client) -> None:
        self.client = client
        self.counter = 0

    def user(
        self,
        email: str | None = None,
        name: str = "Test User",
        password: str = DEFAULT_PASSWORD,
        *,
        verified: bool = True,
    ) -> Api:
        """A registered user; `verified` follows the link of the verification mail, as the person would."""
        self.counter += 1
        email = email or f"user{self.counter}_{secrets.token_hex(3)}@example.com"
        response = self.client.post("/auth/register", json={"email": email, "password": password, "name": name})
        assert response.status_code == 201, response.get_json()
        api = Api(self.client, response.get_json()["access_token"])
        api.user = response.get_json()["user"]
        api.email = email
        api.password = password
        if verified:
            token = verification_link(self.client.application, api.user["id"]).rsplit("/", 1)[1]
            confirmed = self.client.post("/auth/verify-email", json={"token": token})
            assert confirmed.status_code == 200, confirmed.get_json()
        return api

    def workspace(self, owner: Api, name: str = "Acme", time_zone: str = "UTC") -> dict:
        response = owner.post("/workspaces", json={"name": name, "time_zone": time_zone})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def rivals(
        self, *, name: str = "Acme", owner_name: str = "Test User", with_member: bool = False, time_zone: str = "UTC"
    ) -> dict:
        """A team's workspace and a stranger's: {"owner", "ws", "stranger", "other"} (+ "member"), for isolation."""
        owner = self.user(name=owner_name)
        workspace = self.workspace(owner, name=name, time_zone=time_zone)
        stranger = self.user()
        other = self.workspace(stranger, name="Other")
        team = {"owner": owner, "ws": workspace["id"], "stranger": stranger, "other": other["id"]}
        if with_member:
            team["member"] = self.member(owner, workspace["id"])
        return team

    def member(self, owner: Api, workspace_id: int, role: str = "member") -> Api:
        user = self.user()
        invited = owner.post(f"/workspaces/{workspace_id}/invitations", json={"email": user.email, "role": role})
        assert invited.status_code == 202, invited.get_json()
        token = invited.get_json()["invite_url"].rsplit("/", 1)[1]
        accepted = user.post("/invitations/accept", json={"token": token})
        assert accepted.status_code == 200, accepted.get_json()
        return user


@pytest.fixture
def api(client) -> Api:
    return Api(client)


@pytest.fixture
def factory(client) -> Factory:
    return Factory(client)


# ------------------------------------------------------------------ console helper

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Console:
    """Drives the HTML console through the Flask client, with real CSRF tokens."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post_form(self, page: str, data: dict, action: str | None = None, **kw):
        token = csrf_from(self.client.get(page).get_data(as_text=True))
        return self.client.post(action or page, data={"csrf_token": token, **data}, **kw)

    def login(self, email: str, password: str = DEFAULT_PASSWORD):
        return self.post_form("/login", {"email": email, "password": password})


@pytest.fixture
def console(client) -> Console:
    return Console(client)


# ------------------------------------------------------------------ processes


def subprocess_env(database_url: str, redis_url: str | None = None, **extra: str) -> dict:
    env = os.environ.copy()
    env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


class WorkerProcess:
    """A real `python -m worker` process."""

    def __init__(self, env: dict, queues: list[str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "worker", *(queues or [])],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.stdout.read() if self.proc.stdout else ""


@pytest.fixture
def start_worker(database_url, redis_url):
    """Start real RQ worker processes on the claimed Redis; all are stopped after the test."""
    workers: list[WorkerProcess] = []

    def start(queues: list[str] | None = None, **extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(subprocess_env(database_url, redis_url, **extra_env), queues)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
