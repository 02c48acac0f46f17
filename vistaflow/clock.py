"""The clock of the single-process install: periodic and delayed jobs run inside the web process.

Without REDIS_URL there is no RQ and no rq-scheduler, so gunicorn's worker starts this clock
(gunicorn.conf.py, `post_worker_init`); `flask vistaflow clock` runs it in the foreground instead. It runs
every entry of worker/schedule.py on its cron and every delayed job run (`JobRun.due_at`) once it is due,
through the same `jobs.execute` and `job_runs` records as RQ.

Exactly one runner: a lease row in the database (core/services/jobs/clock.py) renewed by a heartbeat
thread; a second process or a second clock in one process waits until the lease is free. Two lanes, like
the RQ queues: sends and chat work (`interactive`) never wait behind a collection or an export.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from flask import Flask

from core import jobs, outbox_signal
from core.db import db
from core.services.jobs import clock as state
from worker.schedule import PERIODIC_JOBS

log = logging.getLogger("vistaflow.clock")

LANES: dict[str, tuple[str, ...]] = {
    "interactive": (jobs.QUEUE_INTERACTIVE,),
    "background": (jobs.QUEUE_DEFAULT, jobs.QUEUE_BULK),
}
POLL_SECONDS = 1.0
LEASE_SECONDS = 30.0

_running: list[Clock] = []


class Clock:
    """Runs due periodic entries and delayed job runs while it holds the database lease."""

    def __init__(
        self,
        app: Flask,
        *,
        schedule: Sequence[Mapping[str, str]] = PERIODIC_JOBS,  # type: ignore[assignment]
        poll_seconds: float = POLL_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
        holder: str | None = None,
    ) -> None:
        self.app = app
        self.schedule = list(schedule)
        self.poll_seconds = poll_seconds
        self.lease_ttl = timedelta(seconds=lease_seconds)
        self.holder = holder or state.new_holder()
        self.leader = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- one step each, callable from tests and from the threads below

    def hold_lease(self) -> bool:
        """Take or renew the lease; on taking it, sync the schedule and fail runs a dead runner left."""
        with self.app.app_context():
            try:
                outcome = state.hold_lease(self.holder, self.lease_ttl)
                if outcome == "acquired":
                    orphaned = state.fail_orphaned_runs()
                    synced = state.sync_entries(self.schedule)
                    log.info("clock %s runs the jobs (%s; %s orphaned runs failed)", self.holder, synced, orphaned)
            except Exception:
                db.session.rollback()
                log.warning("clock %s could not reach its lease", self.holder, exc_info=True)
                outcome = None
            finally:
                db.session.remove()
        if self.leader and outcome is None:
            log.warning("clock %s lost its lease; another runner took over", self.holder)
        self.leader = outcome is not None
        return self.leader

    def run_due(self, lane: str) -> int:
        """Run what is due on `lane` now (delayed runs first, then periodic entries); returns how many ran."""
        queues = LANES[lane]
        entries = [spec for spec in self.schedule if spec["queue"] in queues]
        count = 0
        while self.leader and not self._stop.is_set():
            with self.app.app_context():
                try:
                    if not self._run_one(queues, entries):
                        return count
                except Exception:
                    db.session.rollback()
                    log.exception("clock lane %s: a step failed", lane)
                    return count
                finally:
                    self._kick_outbox()
                    db.session.remove()
            count += 1
        return count

    def _run_one(self, queues: tuple[str, ...], entries: list[Mapping[str, str]]) -> bool:
        run_id = state.claim_due_run(queues)
        if run_id is not None:
            jobs.execute(run_id, raise_errors=False)
            return True
        spec = state.claim_due_entry(entries)
        if spec is None:
            return False
        run = jobs.record(spec["func"], kind=spec["id"], queue=spec["queue"])
        state.note_entry_run(spec["id"], run.id)
        jobs.execute(run.id, raise_errors=False)
        return True

    @staticmethod
    def _kick_outbox() -> None:
        # Events a job committed (dm.sent, target.hot...) are dispatched now rather than at the next sweep.
        try:
            outbox_signal.kick_if_pending()
        except Exception:
            log.warning("could not kick the outbox dispatcher", exc_info=True)

    # -- threads

    def start(self) -> Clock:
        """Start the heartbeat and one thread per lane (daemon threads: they never hold the process up)."""
        self._threads = [threading.Thread(target=self._heartbeat, name="clock-lease", daemon=True)]
        self._threads += [
            threading.Thread(target=self._lane, args=(lane,), name=f"clock-{lane}", daemon=True) for lane in LANES
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 25.0) -> None:
        """Stop after the jobs now running, then give the lease up so a restart takes over at once."""
        self._stop.set()
        deadline = time.monotonic() + timeout  # one budget for all threads: gunicorn's graceful_timeout is 30 s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self.leader:
            with self.app.app_context():
                try:
                    state.release_lease(self.holder)
                finally:
                    db.session.remove()
            self.leader = False

    def request_stop(self) -> None:
        """Ask the threads to stop (a signal handler may call it); `stop` then waits and frees the lease."""
        self._stop.set()

    def wait(self) -> None:
        """Block until stopped (the foreground `flask vistaflow clock`)."""
        while not self._stop.wait(1.0):
            pass

    def _heartbeat(self) -> None:
        renew_every = self.lease_ttl.total_seconds() / 3
        while True:
            held = self.hold_lease()
            if self._stop.wait(renew_every if held else min(renew_every, 5.0)):
                return

    def _lane(self, lane: str) -> None:
        while not self._stop.wait(self.poll_seconds):
            if self.leader:
                self.run_due(lane)


def start_in_process(app: Flask, **options: Any) -> Clock | None:
    """Start the clock for this process when the install has no Redis; None when RQ does the work."""
    if app.config.get("REDIS_URL"):
        return None
    clock = Clock(app, **options).start()
    _running.append(clock)
    log.info("single-process clock started (%s)", clock.holder)
    return clock


def stop_in_process() -> None:
    """Stop the clocks this process started (gunicorn's worker_exit)."""
    while _running:
        _running.pop().stop()
