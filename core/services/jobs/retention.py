"""Job run retention: a run's arguments can be a person's data (a Meta webhook delivery, a Telegram update,
a Slack payload), so they are blanked once the run is done and the runs themselves deleted after a while."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, or_, update

from core.db import db, utcnow
from core.models import JobRun, JobStatus

DONE = (JobStatus.FINISHED.value, JobStatus.FAILED.value)
# A finished run's arguments are kept a day for whoever looks into it; a failed run keeps them until it is
# deleted, so that it can still be retried.
ARGS_KEPT_FOR = timedelta(days=1)


def purge(retention_days: int, now: datetime | None = None) -> dict[str, int]:
    """Delete finished and failed runs older than `retention_days`; blank finished runs' args after a day."""
    now = now or utcnow()
    deleted = db.session.execute(
        delete(JobRun).where(JobRun.status.in_(DONE), JobRun.created_at < now - timedelta(days=retention_days))
    ).rowcount
    blanked = db.session.execute(
        update(JobRun)
        .where(
            JobRun.status == JobStatus.FINISHED.value,
            JobRun.ended_at < now - ARGS_KEPT_FOR,
            sa.cast(JobRun.args, sa.Text) != "[]",
        )
        .values(args=[])
    ).rowcount
    db.session.commit()
    return {"deleted": deleted or 0, "args_blanked": blanked or 0, "retention_days": retention_days}


def blank_args_naming(workspace_id: int, words: list[str]) -> int:
    """Blank the args of done runs of the workspace (or of no workspace: webhooks) quoting one of `words`.

    Part of erasing a person (the caller commits). Words are matched as whole JSON strings ("<word>"), so an
    id that is only part of another value does not match.
    """
    words = [w for w in words if w]
    if not words:
        return 0
    text = sa.cast(JobRun.args, sa.Text)
    return (
        db.session.execute(
            update(JobRun)
            .where(
                JobRun.status.in_(DONE),
                or_(JobRun.workspace_id == workspace_id, JobRun.workspace_id.is_(None)),
                or_(*[text.contains(f'"{w}"', autoescape=True) for w in words]),
            )
            .values(args=[])
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
