"""gunicorn settings, overridable from the environment."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '3001')}"
# Without Redis, locks and login throttling live in process memory: one process (with threads) by default.
workers = int(os.environ.get("WEB_CONCURRENCY") or ("2" if os.environ.get("REDIS_URL") else "1"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# Long enough for a large CSV export streamed to a slow client; the default 30 s would cut it.
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
graceful_timeout = 30
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    if workers > 1 and not os.environ.get("REDIS_URL"):
        server.log.warning(
            "WEB_CONCURRENCY=%s without REDIS_URL: the collection lock and login throttling are per process; "
            "set REDIS_URL or WEB_CONCURRENCY=1",
            workers,
        )
