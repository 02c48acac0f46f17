"""The single-process clock's bookkeeping: one lease, the periodic entries, and claiming what is due.

Every step is a compare-and-set UPDATE, so it holds on SQLite and PostgreSQL alike: the lease has one holder
at a time, and even two runners that both believe they hold it (a clock jump, a paused process) claim each
due periodic slot and each delayed run exactly once.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.models import ClockEntry, ClockLease, JobRun, JobStatus

LEASE = "clock"
ORPHANED = "The process running this delayed job stopped before it finished; it was not run again."


def new_holder() -> str:
    """A holder name that says where the runner lives: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_gone(holder: str) -> bool:
    # A holder on this host whose process is gone (killed, crashed) frees the lease without waiting it out.
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdecimal():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def hold_lease(holder: str, ttl: timedelta, now: datetime | None = None) -> str | None:
    """Take or renew the clock's lease; 'acquired', 'renewed', or None when another runner holds it (commits)."""
    now = now or utcnow()
    t = ClockLease.__table__
    renewed = db.session.execute(
        update(t).where(t.c.name == LEASE, t.c.holder == holder).values(renewed_at=now, expires_at=now + ttl)
    ).rowcount
    if renewed:
        db.session.commit()
        return "renewed"
    current = db.session.execute(select(t.c.holder, t.c.expires_at).where(t.c.name == LEASE)).one_or_none()
    if current is None:
        db.session.add(ClockLease(name=LEASE, holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl))
        try:
            db.session.commit()
        except IntegrityError:  # another runner inserted it first
            db.session.rollback()
            return None
        return "acquired"
    if current.expires_at > now and not _pid_gone(current.holder):
        db.session.commit()
        return None
    taken = db.session.execute(
        update(t)
        .where(t.c.name == LEASE, t.c.holder == current.holder, t.c.expires_at == current.expires_at)
        .values(holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl)
    ).rowcount
    db.session.commit()
    return "acquired" if taken else None


def release_lease(holder: str) -> None:
    """Give the lease up (a clean shutdown), so the next process starts running jobs at once (commits)."""
    db.session.execute(delete(ClockLease).where(ClockLease.name == LEASE, ClockLease.holder == holder))
    db.session.commit()


def lease() -> ClockLease | None:
    """The current lease row, if any runner ever took it."""
    return db.session.get(ClockLease, LEASE)


def _fingerprint(spec: Mapping[str, str]) -> str:
    return f"{spec['func']}|{spec['cron']}|{spec['queue']}"


def next_after(cron: str, moment: datetime) -> datetime:
    """The first time strictly after `moment` that `cron` (UTC; a sixth field is seconds) names."""
    return croniter(cron, moment).get_next(datetime)


def sync_entries(specs: Sequence[Mapping[str, str]], now: datetime | None = None) -> dict[str, list[str]]:
    """Make clock_entries hold exactly `specs` by id: keep unchanged slots, reset changed ones, drop removed."""
    now = now or utcnow()
    wanted = {spec["id"]: spec for spec in specs}
    kept, added, changed, removed = [], [], [], []
    for entry in db.session.scalars(select(ClockEntry)).all():
        spec = wanted.get(entry.id)
        if spec is None:
            db.session.delete(entry)
            removed.append(entry.id)
        elif entry.fingerprint != _fingerprint(spec):
            entry.fingerprint, entry.next_run_at = _fingerprint(spec), next_after(spec["cron"], now)
            changed.append(entry.id)
        else:
            kept.append(entry.id)
    for job_id, spec in wanted.items():
        if job_id not in kept and job_id not in changed:
            slot = next_after(spec["cron"], now)
            db.session.add(ClockEntry(id=job_id, fingerprint=_fingerprint(spec), next_run_at=slot))
            added.append(job_id)
    db.session.commit()
    return {"kept": kept, "added": added, "changed": changed, "removed": removed}


def claim_due_entry(specs: Iterable[Mapping[str, str]], now: datetime | None = None) -> Mapping[str, str] | None:
    """Take the next slot of one due periodic entry among `specs` and return its spec (commits).

    The slot moves to the next time after now, not after the missed one: a job due several times while the
    process was down runs once on start.
    """
    now = now or utcnow()
    by_id = {spec["id"]: spec for spec in specs}
    if not by_id:
        return None
    due = db.session.execute(
        select(ClockEntry.id, ClockEntry.next_run_at)
        .where(ClockEntry.id.in_(by_id), ClockEntry.next_run_at <= now)
        .order_by(ClockEntry.next_run_at)
    ).all()
    t = ClockEntry.__table__
    for job_id, slot in due:
        spec = by_id[job_id]
        taken = db.session.execute(
            update(t)
            .where(t.c.id == job_id, t.c.next_run_at == slot, t.c.fingerprint == _fingerprint(spec))
            .values(next_run_at=next_after(spec["cron"], now), last_run_at=now)
        ).rowcount
        db.session.commit()
        if taken:
            return spec
    db.session.commit()
    return None


def note_entry_run(job_id: str, run_id: str) -> None:
    """Remember the job run an entry's last slot produced (for the doctor; commits)."""
    db.session.execute(update(ClockEntry).where(ClockEntry.id == job_id).values(last_run_id=run_id))
    db.session.commit()


def claim_due_run(queues: Sequence[str], now: datetime | None = None) -> str | None:
    """Claim the delayed run due first on `queues` (queued -> running) and return its id (commits)."""
    now = now or utcnow()
    candidates = db.session.scalars(
        select(JobRun.id)
        .where(JobRun.status == JobStatus.QUEUED.value, JobRun.due_at <= now, JobRun.queue.in_(queues))
        .order_by(JobRun.due_at)
        .limit(20)
    ).all()
    t = JobRun.__table__
    for run_id in candidates:
        taken = db.session.execute(
            update(t)
            .where(t.c.id == run_id, t.c.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, started_at=now)
        ).rowcount
        db.session.commit()
        if taken:
            return run_id
    db.session.commit()
    return None


def fail_orphaned_runs(now: datetime | None = None) -> int:
    """Mark delayed runs a previous runner claimed but never finished as failed, not rerun (commits).

    Called by a runner that has just acquired the lease: nothing of its own is running yet. A DM whose send
    was cut off this way is found by the stuck-send and stranded-DM sweeps, which never resend blindly.
    """
    t = JobRun.__table__
    count = db.session.execute(
        update(t)
        .where(t.c.status == JobStatus.RUNNING.value, t.c.due_at.is_not(None))
        .values(status=JobStatus.FAILED.value, error=ORPHANED, ended_at=now or utcnow())
    ).rowcount
    db.session.commit()
    return count or 0


@dataclass(frozen=True)
class Backlog:
    waiting: int
    overdue: int
    next_due_at: datetime | None


def delayed_backlog(now: datetime | None = None, overdue_after: timedelta = timedelta(minutes=2)) -> Backlog:
    """How many delayed runs wait for the clock, how many are late, and when the next is due."""
    now = now or utcnow()
    waiting = JobRun.status == JobStatus.QUEUED.value, JobRun.due_at.is_not(None)
    count, first = db.session.execute(select(func.count(), func.min(JobRun.due_at)).where(*waiting)).one()
    late_ones = select(func.count()).select_from(JobRun).where(*waiting, JobRun.due_at < now - overdue_after)
    late = db.session.scalar(late_ones) or 0
    return Backlog(count or 0, late, first)


def next_entry() -> ClockEntry | None:
    """The periodic entry due first."""
    return db.session.scalars(select(ClockEntry).order_by(ClockEntry.next_run_at).limit(1)).first()
