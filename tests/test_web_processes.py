"""Without Redis, process-local state (collection lock, login throttle) must stay in one web process."""

from __future__ import annotations

import runpy

import pytest

from tests.conftest import ROOT


def _gunicorn_workers(monkeypatch, **env: str) -> int:
    for name in ("WEB_CONCURRENCY", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]


def test_gunicorn_runs_one_process_by_default_without_redis(monkeypatch):
    assert _gunicorn_workers(monkeypatch) == 1
    assert _gunicorn_workers(monkeypatch, REDIS_URL="redis://cache:6379/0") == 2
    assert _gunicorn_workers(monkeypatch, WEB_CONCURRENCY="4") == 4  # explicit wins (the doctor says why not)


@pytest.mark.parametrize("workers, ok", [(None, True), ("1", True), ("3", False)])
def test_doctor_fails_several_web_processes_without_redis(runner, monkeypatch, workers, ok):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    if workers:
        monkeypatch.setenv("WEB_CONCURRENCY", workers)
    output = runner.invoke(args=["vistaflow", "doctor"]).output
    assert ("[ok  ] web processes" in output) is ok
    assert ("[FAIL] web processes" in output) is not ok
    if not ok:
        assert "REDIS_URL" in output and "WEB_CONCURRENCY=1" in output


def test_doctor_accepts_several_web_processes_with_redis(redis_app, monkeypatch):
    from vistaflow.doctor import check_web_processes

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    with redis_app.app_context():
        assert check_web_processes().ok
