"""Background jobs: enqueue on RQ when Redis is configured, otherwise run in-process.

Every job is recorded as a `JobRun` row so status, results and errors read the same
way in both modes, and so a workspace only ever sees its own jobs.
"""

from __future__ import annotations

import importlib
import logging
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import g, has_request_context
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import error_text, job_names
from core.db import db, utcnow
from core.errors import Unavailable
from core.i18n import _
from core.models import JobRun, JobStatus
from core.redis_conn import get_redis
from core.services.workspaces import status as workspace_status

log = logging.getLogger(__name__)

# Split by how long a person waits: chat replies and approved sends never queue behind
# collections or exports.
QUEUE_INTERACTIVE = "interactive"
QUEUE_DEFAULT = "default"
QUEUE_BULK = "bulk"
QUEUES = (QUEUE_INTERACTIVE, QUEUE_DEFAULT, QUEUE_BULK)

# RQ's entry point for every job: pushes a fresh app context, then calls `execute`.
RQ_ENTRY = job_names.RQ_ENTRY
JOB_TIMEOUT = {QUEUE_INTERACTIVE: 120, QUEUE_DEFAULT: 600, QUEUE_BULK: 3600}
# session.info flag: rows were flushed in the open transaction (not yet committed).
_FLUSHED_UNCOMMITTED = "vistaflow_jobs_flushed"


def resolve(func_path: str) -> Callable[..., Any]:
    """The job function a recorded path names (a path recorded before a rename finds the new place)."""
    module_name, _dot, attr = job_names.RENAMED.get(func_path, func_path).rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def enqueue(
    func_path: str,
    *args: Any,
    kind: str,
    queue: str = QUEUE_DEFAULT,
    workspace_id: int | None = None,
    requested_by: int | None = None,
    retry_of: str | None = None,
) -> JobRun:
    """Record a job and run it: on RQ when Redis is configured, else now, in this process.

    Call it after the commit the job depends on, so the job never runs before its data exists.
    """
    run = record(
        func_path,
        *args,
        kind=kind,
        queue=queue,
        workspace_id=workspace_id,
        requested_by=requested_by,
        retry_of=retry_of,
    )
    redis = get_redis()
    if redis is None:
        execute(run.id, raise_errors=False)
        db.session.refresh(run)
        return run
    _push(run, lambda q, **options: q.enqueue(RQ_ENTRY, run.id, **options), redis)
    return run


def enqueue_in(
    func_path: str,
    *args: Any,
    delay: timedelta,
    kind: str,
    queue: str = QUEUE_DEFAULT,
    workspace_id: int | None = None,
    requested_by: int | None = None,
) -> JobRun:
    """Record a job that starts after `delay`: on RQ's scheduler with Redis, else on the in-process clock.

    Without Redis the run is committed `queued` with its `due_at`; the web process's clock (vistaflow/clock.py)
    claims and runs it once when due, even after a restart. On a Redis error the run is marked failed and
    Unavailable raised.
    """
    redis = get_redis()
    if redis is None:
        return record(
            func_path,
            *args,
            kind=kind,
            queue=queue,
            workspace_id=workspace_id,
            requested_by=requested_by,
            due_at=utcnow() + delay,
        )
    run = record(func_path, *args, kind=kind, queue=queue, workspace_id=workspace_id, requested_by=requested_by)
    # RQ's own scheduler (the workers run with_scheduler) moves the job to its queue when due.
    _push(run, lambda q, **options: q.enqueue_in(delay, RQ_ENTRY, run.id, **options), redis)
    return run


def runs_in_process() -> bool:
    """True for the single-process install (no Redis): jobs run here, delayed ones on the in-process clock."""
    return get_redis() is None


def _push(run: JobRun, put: Callable[..., Any], redis: Any) -> None:
    try:
        put(
            Queue(run.queue, connection=redis),
            job_id=run.id,
            job_timeout=JOB_TIMEOUT[run.queue],
            result_ttl=86400,
            failure_ttl=7 * 86400,
        )
    except RedisError as exc:
        # Never leave it `queued`: a queued run reads as work in progress (and blocks a re-queue).
        run.status = JobStatus.FAILED.value
        run.error = "The job queue (Redis) is unavailable; nothing was started."
        run.ended_at = utcnow()
        db.session.commit()
        raise Unavailable(_("The job queue is unavailable right now; try again in a minute.")) from exc


def record(
    func_path: str,
    *args: Any,
    kind: str,
    queue: str = QUEUE_DEFAULT,
    workspace_id: int | None = None,
    requested_by: int | None = None,
    retry_of: str | None = None,
    due_at: datetime | None = None,
) -> JobRun:
    """Commit a `queued` JobRun row for a job about to be started (the caller must have committed)."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    _ensure_committed()
    if workspace_id is not None:
        # A suspended workspace keeps its data but has no work started for it.
        workspace_status.ensure_can_schedule(workspace_id)
    run = JobRun(
        id=str(uuid.uuid4()),
        workspace_id=workspace_id,
        kind=kind,
        func=func_path,
        args=list(args),
        queue=queue,
        status=JobStatus.QUEUED.value,
        requested_by_user_id=requested_by,
        request_id=g.get("request_id") if has_request_context() else None,
        retry_of=retry_of,
        due_at=due_at,
    )
    db.session.add(run)
    db.session.commit()
    return run


def _ensure_committed() -> None:
    # Recording commits; it must not commit the caller's changes too. That would hide an
    # enqueue-before-commit bug (the job could run before its data exists) and, when Redis is
    # down, keep half of a use case whose job was never started.
    session = db.session()
    modified = [obj for obj in session.dirty if session.is_modified(obj)]
    if session.new or session.deleted or modified or session.info.get(_FLUSHED_UNCOMMITTED):
        raise RuntimeError("jobs.record: commit (or roll back) the session before enqueueing a job")


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_FLUSHED_UNCOMMITTED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # commit, rollback or close of the outermost transaction
        session.info.pop(_FLUSHED_UNCOMMITTED, None)


def execute(run_id: str, *, raise_errors: bool = True) -> dict[str, Any] | None:
    """Run a recorded job inside the current app context and store its outcome."""
    run = db.session.get(JobRun, run_id)
    if run is None:
        log.warning("job run %s not found; nothing to do", run_id)
        return None
    if run.workspace_id is not None and not workspace_status.is_active(run.workspace_id):
        # Queued before the workspace was suspended: it must not run now, and is not an error.
        run.status = JobStatus.FINISHED.value
        run.result = {"skipped": "workspace suspended"}
        run.ended_at = utcnow()
        db.session.commit()
        return run.result
    if not has_request_context():
        # Log lines of the job carry the id of the request that enqueued it.
        g.request_id = run.request_id or f"job-{run.id[:8]}"
    run.status = JobStatus.RUNNING.value
    run.started_at = utcnow()
    run.attempts += 1
    db.session.commit()

    args = list(run.args or [])
    try:
        result = resolve(run.func)(*args)
        # Inside the try: a job that swallowed a lost connection returns into a session that can only be
        # rolled back, and the run must then be recorded failed, not left `running` forever.
        run = db.session.get(JobRun, run_id)
        run.status = JobStatus.FINISHED.value
        run.result = result if isinstance(result, dict) else ({"value": result} if result is not None else {})
        run.ended_at = utcnow()
        db.session.commit()
        return run.result
    except Exception as exc:
        db.session.rollback()
        run = db.session.get(JobRun, run_id)
        run.status = JobStatus.FAILED.value
        run.result = None
        run.error = _error_text(exc)
        run.ended_at = utcnow()
        db.session.commit()
        log.error("job %s (%s) failed:\n%s", run_id, run.kind, traceback.format_exc())
        if raise_errors:
            raise
        return None


def _error_text(exc: Exception) -> str:
    # Shown to every member (/jobs, the console): no SQL, bound parameters, quoted values or tokens.
    return error_text.for_people(exc)
