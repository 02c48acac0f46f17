"""/jobs: status of background jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint

from console.api.auth_context import current_actor
from console.api.schemas import Out
from console.api.spec import operation
from core.services.jobs import runs as job_runs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


class JobOut(Out):
    id: str
    kind: str
    status: str
    queue: str
    workspace_id: int | None
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    # A delayed job waiting for the single-process clock (no Redis) is queued until then.
    due_at: datetime | None = None


@operation(bp, "GET", "/<job_id>", summary="A job's status, counts and error", response=JobOut)
def get_job(job_id: str):
    return job_runs.get(job_id, actor=current_actor())


@operation(
    bp,
    "POST",
    "/<job_id>/retry",
    summary="Retry a failed job (owner/admin)",
    response=JobOut,
    status=202,
    errors=(403, 409, 503),
)
def retry_job(job_id: str):
    return job_runs.retry(job_id, actor=current_actor()), 202
