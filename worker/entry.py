"""What RQ calls: each job gets a fresh app context in its own (forked) process."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

from core import jobs, outbox_signal
from core.db import db
from worker.schedule import PERIODIC_JOBS

log = logging.getLogger(__name__)

_app: Flask | None = None
_app_pid: int | None = None


def set_app(app: Flask) -> None:
    """Called by the worker process before it starts forking work horses."""
    global _app, _app_pid
    _app, _app_pid = app, os.getpid()


def _get_app() -> Flask:
    global _app, _app_pid
    if _app is None:
        from vistaflow import create_app

        _app, _app_pid = create_app(), os.getpid()
    return _app


def _job_context():
    app = _get_app()
    ctx = app.app_context()
    ctx.push()
    if os.getpid() != _app_pid:
        # A forked work horse must not share the parent's pooled connections (their sockets
        # belong to the parent); drop the references without closing the parent's side.
        db.engine.dispose(close=False)
    return ctx


def _kick_outbox() -> None:
    # Events a job committed (target.hot, dm.sent...) are dispatched now rather than at the next sweep.
    try:
        outbox_signal.kick_if_pending()
    except Exception:
        log.warning("could not kick the outbox dispatcher", exc_info=True)


def run_job(run_id: str) -> dict[str, Any] | None:
    """RQ entry point for a recorded job."""
    ctx = _job_context()
    try:
        return jobs.execute(run_id)
    finally:
        _kick_outbox()
        db.session.remove()
        ctx.pop()


def _periodic(name: str) -> dict:
    spec = next((job for job in PERIODIC_JOBS if job["id"] == name), None)
    if spec is None:
        raise ValueError(f"unknown periodic job {name!r}")
    run = jobs.record(spec["func"], kind=name, queue=spec["queue"])
    return jobs.execute(run.id) or {}


def run_periodic(name: str) -> dict:
    """RQ entry point for a scheduled job: record it as a JobRun, then run it."""
    ctx = _job_context()
    try:
        return _periodic(name)
    finally:
        _kick_outbox()
        db.session.remove()
        ctx.pop()


def run_periodic_inline(name: str) -> dict:
    """Run a periodic job in the current app context (CLI, console buttons without Redis)."""
    return _periodic(name)
