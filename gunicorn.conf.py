"""gunicorn settings, overridable from the environment."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '3001')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# Long enough for a large CSV export streamed to a slow client; the default 30 s would cut it.
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
graceful_timeout = 30
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
