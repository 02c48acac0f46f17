"""The single-process install: SQLite and no Redis, exactly as the README's first command runs it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import DEFAULT_PASSWORD, ROOT


def test_sqlite_install_migrates_registers_logs_in_and_creates_workspace(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "VISTAFLOW_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
    }
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert (tmp_path / "vistaflow.sqlite3").exists()

    script = f"""
from vistaflow import create_app
app = create_app()
assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"), app.config["SQLALCHEMY_DATABASE_URI"]
assert app.config["REDIS_URL"] is None
c = app.test_client()
r = c.post("/auth/register", json={{"email": "solo@example.com", "password": "{DEFAULT_PASSWORD}", "name": "Solo"}})
assert r.status_code == 201, r.get_json()
r = c.post("/auth/login", json={{"email": "solo@example.com", "password": "{DEFAULT_PASSWORD}"}})
assert r.status_code == 200, r.get_json()
h = {{"Authorization": "Bearer " + r.get_json()["access_token"]}}
r = c.post("/workspaces", json={{"name": "Solo shop"}}, headers=h)
assert r.status_code == 201, r.get_json()
r = c.get("/workspaces", headers=h)
assert [w["name"] for w in r.get_json()["items"]] == ["Solo shop"]
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("ok")


def test_doctor_reports_on_the_embedded_install(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "VISTAFLOW_INSTANCE_PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}
    before = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "vistaflow", "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert before.returncode != 0
    assert "[FAIL] migrations" in before.stdout and "flask db upgrade" in before.stdout
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    after = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "vistaflow", "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert after.returncode == 0, after.stdout + after.stderr
    assert "[ok  ] redis: not configured" in after.stdout
    assert "[ok  ] encryption: encrypting with key" in after.stdout


def test_production_refuses_to_start_without_secrets(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "VISTAFLOW_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "VISTAFLOW_ENV": "production",
        "DATABASE_URL": "postgres://u@127.0.0.1/db",
    }
    run = subprocess.run(
        [sys.executable, "-c", "from vistaflow import create_app; create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "SECRET_KEY" in run.stderr and "VISTAFLOW_ENCRYPTION_KEYS" in run.stderr
    assert "DATABASE_URL" not in run.stderr.split("without:")[1].split(".")[0]
