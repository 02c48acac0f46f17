"""gunicorn settings, overridable from the environment."""

import os
import tempfile

# Loopback unless told otherwise: a fresh install is never reachable from the network by accident.
# HOST=0.0.0.0 (every interface) or BIND=host:port (anything gunicorn accepts) exposes it.
bind = os.environ.get("BIND") or f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT', '3001')}"
# Without Redis, locks and login throttling live in process memory: one process (with threads) by default.
workers = int(os.environ.get("WEB_CONCURRENCY") or ("2" if os.environ.get("REDIS_URL") else "1"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# Long enough for a large CSV export streamed to a slow client; the default 30 s would cut it.
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
graceful_timeout = 30
accesslog = "-"
# OAuth callbacks carry a one-time `code` (and a `state`) in the query: the access log masks them.
logger_class = "vistaflow.access_log.ScrubbingLogger"
# gunicorn trusts no peer with proxy headers, loopback included: a SCRIPT_NAME header would otherwise rewrite
# every link (to another host with "//evil.example"). The app alone reads X-Forwarded-For / -Proto, through
# exactly TRUSTED_PROXY_HOPS proxies (werkzeug's ProxyFix in vistaflow.create_app).
forwarded_allow_ips = ""
forwarder_headers = ""
secure_scheme_headers: dict[str, str] = {}
header_map = "drop"


def on_starting(server):
    # prometheus_client's multiprocess mode: workers (forked after this hook, the app imported in each)
    # write their counters to this directory, and any worker's /metrics sums them. Emptied at each start.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="vistaflow-metrics-")
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):  # only prometheus_client's files: the directory may be shared
            os.remove(os.path.join(directory, name))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    if workers > 1 and not os.environ.get("REDIS_URL"):
        server.log.warning(
            "WEB_CONCURRENCY=%s without REDIS_URL: the collection lock and login throttling are per process; "
            "set REDIS_URL or WEB_CONCURRENCY=1",
            workers,
        )


def child_exit(server, worker):
    # A dead worker's counters stay counted; its live gauges (none today) would be dropped.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # Without Redis the web process is also the clock (periodic and delayed jobs); a database lease keeps
    # it to one runner even with several workers. With Redis, the worker and scheduler processes do it.
    from vistaflow.clock import start_in_process

    start_in_process(worker.wsgi)


def worker_exit(server, worker):
    from vistaflow.clock import stop_in_process

    stop_in_process()
