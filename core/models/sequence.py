"""Sequences: ordered follow-up steps (template + delay) a target can be enrolled in."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import JSONType, UTCDateTime, db, utcnow


class EnrollmentStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"  # the person replied
    EXPIRED = "expired"  # a step's window never opened


class Sequence(db.Model):
    __tablename__ = "sequences"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # [{"template_id": int, "delay_hours": int}, ...] in order; step 1 has delay 0.
    steps: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SequenceEnrollment(db.Model):
    __tablename__ = "sequence_enrollments"
    __table_args__ = (
        sa.UniqueConstraint("sequence_id", "target_id", name="uq_sequence_enrollments_target"),
        sa.Index("ix_sequence_enrollments_due", "status", "next_step_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16), default=EnrollmentStatus.ACTIVE.value)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    current_step: Mapped[int] = mapped_column(default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One entry per step: {"step": n, "status": "...", "dm_id": id, "reason": "...", "at": iso}.
    step_log: Mapped[list] = mapped_column(JSONType, default=list)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
