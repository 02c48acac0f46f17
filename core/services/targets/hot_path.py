"""Rescoring right after a webhook: the people it flagged are rescored within seconds, not at the next collection.

One job per workspace at a time, on the `interactive` queue, so a burst of 1,000 webhooks costs a few
passes. With Redis, a key per workspace (SET NX) says a pass is already queued; the job deletes it as
it starts, so what arrives during a pass gets one more pass. Without Redis, the single-process clock
runs a delayed run due now; a queued one for the workspace already covers what arrived since.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from redis.exceptions import RedisError

from core import job_names, jobs
from core.db import db
from core.errors import VistaFlowError
from core.models import JobRun, JobStatus
from core.redis_conn import get_redis

log = logging.getLogger(__name__)

JOB = job_names.RESCORE_FLAGGED
KIND = "rescore-flagged"
# Longer than the interactive queue's timeout: a pass that died frees the key by itself.
PENDING_TTL_SECONDS = 180


def pending_key(workspace_id: int) -> str:
    return f"vistaflow:rescore-pending:{workspace_id}"


def rescore_soon(workspace_ids: Iterable[int]) -> list[str]:
    """Queue one incremental rescore per workspace unless one is already waiting (call after the commit);
    returns the ids of the runs started. Never raises: the next collection or hourly pass catches up."""
    started = []
    for workspace_id in sorted(set(workspace_ids)):
        try:
            run_id = _queue(workspace_id)
        except (VistaFlowError, RedisError):
            db.session.rollback()
            log.warning("rescore after webhook not queued for workspace %s", workspace_id, exc_info=True)
            continue
        if run_id is not None:
            started.append(run_id)
    return started


def _queue(workspace_id: int) -> str | None:
    redis = get_redis()
    if redis is None:
        if _waiting_in_process(workspace_id):
            return None
        run = jobs.enqueue_in(
            JOB, workspace_id, delay=timedelta(0), kind=KIND, queue=jobs.QUEUE_INTERACTIVE, workspace_id=workspace_id
        )
        return run.id
    if not redis.set(pending_key(workspace_id), "1", nx=True, ex=PENDING_TTL_SECONDS):
        return None
    try:
        return jobs.enqueue(JOB, workspace_id, kind=KIND, queue=jobs.QUEUE_INTERACTIVE, workspace_id=workspace_id).id
    except Exception:
        redis.delete(pending_key(workspace_id))
        raise


def _waiting_in_process(workspace_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(JobRun)
            .where(
                JobRun.workspace_id == workspace_id,
                JobRun.kind == KIND,
                JobRun.status == JobStatus.QUEUED.value,
            )
        )
        > 0
    )


def starting(workspace_id: int) -> None:
    """The pass begins: webhooks from now on need (and queue) a pass of their own."""
    redis = get_redis()
    if redis is not None:
        try:
            redis.delete(pending_key(workspace_id))
        except RedisError:
            log.warning("could not clear the pending rescore key of workspace %s", workspace_id, exc_info=True)
