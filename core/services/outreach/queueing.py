"""Queueing DM sends: now on the interactive queue, or later (pacing, rate limits, tomorrow's quota).

A later send is an RQ scheduled job (enqueue_in, moved to the queue by the workers' scheduler), so no
worker sleeps while it waits. Without Redis (single process), a delayed send cannot be scheduled: the
DM stays approved with its reason, and pacing is not applied.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from redis.exceptions import RedisError
from rq import Queue

from core import jobs
from core.redis_conn import get_redis

log = logging.getLogger(__name__)

SEND_JOB = "worker.jobs.outreach.send_dm"
ADVANCE_JOB = "worker.jobs.outreach.advance_enrollment"


def send_later(dm_id: int, workspace_id: int, delay_seconds: float = 0.0, requested_by: int | None = None) -> None:
    """Queue the send job of `dm_id`, after `delay_seconds` when given (call after the commit)."""
    if delay_seconds <= 0:
        jobs.enqueue(
            SEND_JOB,
            dm_id,
            kind="dm.send",
            queue=jobs.QUEUE_INTERACTIVE,
            workspace_id=workspace_id,
            requested_by=requested_by,
        )
        return
    redis = get_redis()
    if redis is None:
        log.info("DM %s must wait %.0fs but no Redis is configured; it stays approved", dm_id, delay_seconds)
        return
    run = jobs.record(
        SEND_JOB,
        dm_id,
        kind="dm.send",
        queue=jobs.QUEUE_INTERACTIVE,
        workspace_id=workspace_id,
        requested_by=requested_by,
    )
    try:
        Queue(jobs.QUEUE_INTERACTIVE, connection=redis).enqueue_in(
            timedelta(seconds=delay_seconds),
            jobs.RQ_ENTRY,
            run.id,
            job_id=run.id,
            job_timeout=jobs.JOB_TIMEOUT[jobs.QUEUE_INTERACTIVE],
            result_ttl=86400,
            failure_ttl=7 * 86400,
        )
    except RedisError:
        # The DM stays approved, visible in the queue; a second job would risk a false `unknown`.
        log.exception("could not schedule DM %s", dm_id)


def advance_later(enrollment_id: int, workspace_id: int) -> None:
    """Run one enrollment's next step now (call after the commit)."""
    jobs.enqueue(
        ADVANCE_JOB, enrollment_id, kind="dm.sequence_step", queue=jobs.QUEUE_INTERACTIVE, workspace_id=workspace_id
    )
