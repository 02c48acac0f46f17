"""`python -m worker [QUEUE ...]`: an RQ worker on the VistaFlow queues (all of them by default)."""

from __future__ import annotations

import logging
import sys

from rq import Queue, Worker

from core.db import db
from core.jobs import QUEUES
from core.redis_conn import get_redis
from vistaflow import create_app
from worker.entry import set_app

log = logging.getLogger("worker")


def main(argv: list[str]) -> int:
    app = create_app()
    queue_names = argv or list(QUEUES)
    with app.app_context():
        redis = get_redis()
        if redis is None:
            log.error("REDIS_URL is not set: without Redis, jobs run inside the web process; no worker is needed.")
            return 2
        # The parent holds no DB connection while it forks work horses.
        db.engine.dispose()
    set_app(app)
    # Queues listed first are served first: interactive work never waits behind bulk work.
    queues = [Queue(name, connection=redis) for name in queue_names]
    # with_scheduler: delayed jobs (enqueue_in: DM pacing and retries) move to their queue when due;
    # RQ lets one worker per queue do it, under a Redis lock.
    Worker(queues, connection=redis).work(with_scheduler=True, logging_level="INFO")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
