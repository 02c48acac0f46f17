"""Prometheus metrics: request counters of the whole web process group, and business figures read from
the database at scrape time (so they agree across every web and worker process).

Under gunicorn (PROMETHEUS_MULTIPROC_DIR, set by gunicorn.conf.py) every worker writes its counters to
files in that directory and a scrape, whichever worker answers it, sums them all: without it two
workers would answer 1, 2, 1, 2 for the same three requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select, text

from core.db import db, utcnow
from core.models import DirectMessage, JobRun, QuotaUsage

REQUESTS = Counter("vistaflow_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"])
LATENCY = Histogram(
    "vistaflow_http_request_duration_seconds",
    "HTTP request latency by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class DatabaseCollector:
    """Jobs, DMs, quota and delivery backlog, computed from the shared database."""

    def __init__(self, app) -> None:
        self.app = app

    def collect(self) -> Iterator:
        with self.app.app_context():
            yield from self._jobs()
            yield from self._dms()
            yield from self._quota()
            yield from self._backlog()

    def _jobs(self) -> Iterator:
        since = utcnow() - timedelta(hours=24)
        runs = CounterMetricFamily(
            "vistaflow_jobs", "Jobs in the last 24 h by kind and status", labels=["kind", "status"]
        )
        duration = GaugeMetricFamily(
            "vistaflow_job_duration_seconds_avg", "Average job duration in the last 24 h", labels=["kind"]
        )
        rows = db.session.execute(
            select(JobRun.kind, JobRun.status, func.count(), func.avg(_seconds(JobRun.started_at, JobRun.ended_at)))
            .where(JobRun.created_at >= since)
            .group_by(JobRun.kind, JobRun.status)
        ).all()
        for kind, status, count, avg_seconds in rows:
            runs.add_metric([kind, status], count)
            if status == "finished" and avg_seconds is not None:
                duration.add_metric([kind], float(avg_seconds))
        yield runs
        yield duration

    def _dms(self) -> Iterator:
        family = GaugeMetricFamily("vistaflow_dms", "Direct messages by status", labels=["status"])
        for status, count in db.session.execute(
            select(DirectMessage.status, func.count()).group_by(DirectMessage.status)
        ):
            family.add_metric([status], count)
        yield family

    def _quota(self) -> Iterator:
        family = GaugeMetricFamily(
            "vistaflow_quota_used", "DMs counted against quota per account and day", labels=["social_account_id", "day"]
        )
        recent = utcnow().date() - timedelta(days=1)
        for account_id, day, used in db.session.execute(
            select(QuotaUsage.social_account_id, QuotaUsage.day, QuotaUsage.used).where(QuotaUsage.day >= recent)
        ):
            family.add_metric([str(account_id), day.isoformat()], used)
        yield family

    def _backlog(self) -> Iterator:
        count = db.session.execute(
            text("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'in_progress')")
        ).scalar_one()
        family = GaugeMetricFamily("vistaflow_delivery_backlog", "Integration deliveries not yet done")
        family.add_metric([], count)
        yield family


def _seconds(start, end):
    """end - start in seconds, in SQL, on PostgreSQL and SQLite."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def build_registry(app) -> CollectorRegistry:
    """A registry with the request metrics (of every worker in multiprocess mode) plus the database figures."""
    registry = CollectorRegistry(auto_describe=False)
    if app.config.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry, path=app.config["PROMETHEUS_MULTIPROC_DIR"])
    else:
        for collector in (REQUESTS, LATENCY):
            registry.register(collector)
    registry.register(DatabaseCollector(app))
    return registry
