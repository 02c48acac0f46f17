"""A record of every background job, whether it ran on RQ or in-process."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import JSONType, UTCDateTime, db, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        sa.Index("ix_job_runs_workspace_created", "workspace_id", "created_at"),
        sa.Index("ix_job_runs_due", "status", "due_at"),
    )

    # The same id is the RQ job id, so either side can find the other.
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    func: Mapped[str] = mapped_column(sa.String(200))
    args: Mapped[list] = mapped_column(JSONType, default=list)
    queue: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default=JobStatus.QUEUED.value, index=True)
    result: Mapped[dict | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    requested_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    retry_of: Mapped[str | None] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set only for a delayed job of the single-process clock (no Redis): it runs once this time has come.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
