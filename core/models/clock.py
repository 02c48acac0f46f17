"""The single-process clock's state: who runs it (a lease) and when each periodic job is next due.

Without Redis the web process runs periodic and delayed jobs itself. Both tables live in the database so a
restart neither loses nor repeats a job, and so two processes started by mistake agree on one runner.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


class ClockLease(db.Model):
    __tablename__ = "clock_leases"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    # "<host>:<pid>:<random>": the doctor shows it, and a dead pid on this host frees the lease at once.
    holder: Mapped[str] = mapped_column(sa.String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClockEntry(db.Model):
    __tablename__ = "clock_entries"

    # The periodic job's stable id from worker/schedule.py.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # func|cron: a changed entry gets a fresh next_run_at; an unchanged one keeps its slot across restarts.
    fingerprint: Mapped[str] = mapped_column(sa.String(300))
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_id: Mapped[str | None] = mapped_column(sa.String(36))
