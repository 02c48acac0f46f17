"""`python -m worker.scheduler`: sync PERIODIC_JOBS into rq-scheduler by id, then run it.

Run exactly one. rq-scheduler also takes a Redis lock, so a second copy started by
mistake waits instead of enqueueing everything twice.
"""

from __future__ import annotations

import logging
import sys

from redis import Redis
from rq_scheduler import Scheduler

from core import job_names
from core.redis_conn import get_redis
from vistaflow import create_app
from worker.schedule import PERIODIC_JOBS, PeriodicJob

log = logging.getLogger("scheduler")

ENTRY = job_names.PERIODIC_ENTRY
META_KEY = "vistaflow_periodic"
RESULT_TTL = 2 * 86400  # longer than the longest interval (daily)


def _fingerprint(spec: PeriodicJob) -> str:
    return f"{spec['func']}|{spec['cron']}|{spec['queue']}"


def sync_schedule(scheduler: Scheduler, jobs: list[PeriodicJob] = PERIODIC_JOBS) -> dict[str, list[str]]:
    """Make the scheduler hold exactly `jobs`: keep unchanged ones, replace changed, drop removed."""
    wanted = {spec["id"]: spec for spec in jobs}
    kept, removed, added = [], [], []
    for job in scheduler.get_jobs():
        fingerprint = job.meta.get(META_KEY)
        if fingerprint is None:
            continue  # not ours (one-off scheduled jobs)
        spec = wanted.get(job.id)
        if spec is not None and fingerprint == _fingerprint(spec) and job.id not in kept:
            kept.append(job.id)
        else:
            scheduler.cancel(job)
            removed.append(job.id)
    for job_id, spec in wanted.items():
        if job_id in kept:
            continue
        scheduler.cron(
            spec["cron"],
            func=ENTRY,
            args=[job_id],
            id=job_id,
            queue_name=spec["queue"],
            result_ttl=RESULT_TTL,
            description=spec["description"],
            meta={META_KEY: _fingerprint(spec)},
        )
        added.append(job_id)
    return {"kept": kept, "added": added, "removed": removed}


def build_scheduler(redis: Redis, interval: int = 30) -> Scheduler:
    return Scheduler(connection=redis, interval=interval)


def main() -> int:
    app = create_app()
    with app.app_context():
        redis = get_redis()
    if redis is None:
        log.error(
            "REDIS_URL is not set: the scheduler needs Redis. Without it the web process runs the clock itself "
            "(or run `flask vistaflow clock`)."
        )
        return 2
    scheduler = build_scheduler(redis)
    log.info("schedule synced: %s", sync_schedule(scheduler))
    scheduler.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
