"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core.errors import NotFound
from core.i18n import _
from core.metrics import LATENCY, REQUESTS, build_registry

bp = Blueprint("ops", __name__)

LOOPBACK = {"127.0.0.1", "::1"}


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    from vistaflow.doctor import check_database, check_migrations, check_redis

    checks = [check_database(), check_migrations(), check_redis()]
    ready = all(c.ok for c in checks)
    body: dict = {"status": "ready" if ready else "not_ready"}
    if _operator_caller():
        # The details name the database URL, the Redis host and the migration head: operators only.
        body["checks"] = {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}
    return jsonify(body), (200 if ready else 503)


def _operator_caller() -> bool:
    """The metrics token when one is set, else a caller on this machine (a local agent or the operator)."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        header = request.headers.get("Authorization", "")
        return hmac.compare_digest(header.encode(), f"Bearer {token}".encode())
    # Without a token only the machine itself (a local Prometheus agent) may read.
    return request.remote_addr in LOOPBACK


@bp.get("/metrics")
def metrics():
    if not _operator_caller():
        raise NotFound(_("Not found."))
    registry = current_app.extensions.setdefault("vistaflow_metrics", build_registry(current_app._get_current_object()))
    # content_type, not mimetype: CONTENT_TYPE_LATEST already names its charset, Flask would add a second one.
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        rule = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(request.method, rule, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            LATENCY.labels(rule).observe(time.perf_counter() - started)
        return response
