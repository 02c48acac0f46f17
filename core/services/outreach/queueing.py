"""Queueing DM sends: now on the interactive queue, or later (pacing, rate limits, tomorrow's quota).

A later send is a delayed job (jobs.enqueue_in): with Redis, RQ's scheduler moves it to the queue when due;
without Redis (single process), it is a job run with a due time that the web process's clock runs once when
due, even after a restart. Either way no worker sleeps while it waits. An approved DM whose job could not be
queued (Redis down) is queued again by the periodic requeue_stranded.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from core import job_names, jobs
from core.db import db, utcnow
from core.errors import Unavailable, VistaFlowError
from core.models import DirectMessage, DmStatus, JobRun, JobStatus, Workspace

log = logging.getLogger(__name__)

SEND_JOB = job_names.SEND_DM
ADVANCE_JOB = job_names.ADVANCE_ENROLLMENT
# Older than any gap between an approval's commit and its job's record, so a DM being queued is never
# queued twice (a second job finding the first one's send in flight would mark it `unknown`).
STRANDED_AFTER = timedelta(minutes=10)
STRANDED_BATCH = 200


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
    try:
        jobs.enqueue_in(
            SEND_JOB,
            dm_id,
            delay=timedelta(seconds=delay_seconds),
            kind="dm.send",
            queue=jobs.QUEUE_INTERACTIVE,
            workspace_id=workspace_id,
            requested_by=requested_by,
        )
    except Unavailable:
        # The DM stays approved, visible in the queue; requeue_stranded picks it up later.
        log.warning("could not schedule DM %s; the stranded-DM sweep will queue it", dm_id)


def advance_later(enrollment_id: int, workspace_id: int) -> None:
    """Run one enrollment's next step now (call after the commit)."""
    jobs.enqueue(
        ADVANCE_JOB, enrollment_id, kind="dm.sequence_step", queue=jobs.QUEUE_INTERACTIVE, workspace_id=workspace_id
    )


def _live_send_jobs(dm_ids: list[int]) -> set[int]:
    # The few queued/running send runs (status is indexed); args is [dm_id].
    args = db.session.scalars(
        select(JobRun.args).where(
            JobRun.kind == "dm.send", JobRun.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value))
        )
    )
    wanted = set(dm_ids)
    return {a[0] for a in args if isinstance(a, list) and a and a[0] in wanted}


def requeue_stranded(now=None) -> dict[str, int]:
    """Queue the send of approved DMs left without a queued or running send job (a failed enqueue)."""
    cutoff = (now or utcnow()) - STRANDED_AFTER
    candidates = list(
        db.session.execute(
            select(DirectMessage.id, DirectMessage.workspace_id)
            .join(Workspace, Workspace.id == DirectMessage.workspace_id)
            .where(
                DirectMessage.status == DmStatus.APPROVED.value,
                DirectMessage.updated_at < cutoff,
                Workspace.suspended_at.is_(None),
            )
            .order_by(DirectMessage.id)
            .limit(STRANDED_BATCH)
        )
    )
    live = _live_send_jobs([dm_id for dm_id, _ in candidates])
    db.session.commit()
    queued = failed = 0
    for dm_id, workspace_id in candidates:
        if dm_id in live:
            continue
        # Under the row lock, re-check: a concurrent sweep (or a send) may have moved it meanwhile.
        dm = db.session.scalar(
            select(DirectMessage)
            .where(DirectMessage.id == dm_id, DirectMessage.status == DmStatus.APPROVED.value)
            .with_for_update(skip_locked=True)
        )
        if dm is None or _live_send_jobs([dm_id]):
            db.session.commit()
            continue
        try:
            # Recording the run commits, releasing the lock only once the run is visible to others.
            send_later(dm_id, workspace_id)
            queued += 1
        except VistaFlowError as exc:
            db.session.rollback()
            failed += 1
            log.warning("stranded DM %s not queued: %s", dm_id, exc.message)
    return {"queued": queued, "failed": failed}
