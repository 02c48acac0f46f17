"""Liveness, readiness, metrics, and the request id carried from a request into its jobs."""

from __future__ import annotations

import logging

import pytest


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["migrations"]["ok"] is True


def test_readyz_is_503_when_redis_is_down(database_url):
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["ok"] is False
    with app.app_context():
        from core.db import db

        db.engine.dispose()


def test_metrics_are_hidden_from_remote_callers(client):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 404


def test_metrics_count_requests_and_jobs_for_local_scrapers(client, app):
    from core import jobs

    client.get("/healthz")
    with app.app_context():
        jobs.enqueue("worker.jobs.maintenance.purge_audit_log", kind="audit-log-retention")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'vistaflow_http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert 'vistaflow_jobs_total{kind="audit-log-retention",status="finished"} 1.0' in body
    assert "vistaflow_job_duration_seconds_avg" in body


class TestWithMetricsToken:
    @pytest.fixture
    def app_config(self):
        return {"METRICS_TOKEN": "scrape-secret"}

    def test_metrics_need_the_token_when_configured(self, client):
        assert client.get("/metrics").status_code == 404
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert ok.status_code == 200


def test_request_id_is_echoed_and_carried_into_jobs(client, app):
    from core import jobs
    from core.logs import RequestIdFilter

    response = client.get("/healthz", headers={"X-Request-ID": "req-abc123"})
    assert response.headers["X-Request-ID"] == "req-abc123"
    with app.test_request_context(headers={"X-Request-ID": "req-xyz789"}):
        app.preprocess_request()
        run = jobs.record("worker.jobs.maintenance.purge_audit_log", kind="audit-log-retention")
        assert run.request_id == "req-xyz789"
        run_id = run.id
    with app.app_context():  # as in a worker: no request, a fresh app context
        jobs.execute(run_id)
        record = logging.LogRecord("worker", logging.INFO, __file__, 1, "job line", None, None)
        RequestIdFilter().filter(record)
        assert record.request_id == "req-xyz789"
