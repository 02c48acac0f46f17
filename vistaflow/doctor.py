"""Health checks shared by `flask vistaflow doctor` and the readiness probe."""

from __future__ import annotations

import os
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from core.db import db, utcnow
from core.redis_conn import get_redis


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
        return Check("database", True, db.engine.url.render_as_string(hide_password=True))
    except Exception as exc:
        return Check("database", False, str(exc).splitlines()[0], "Check DATABASE_URL and that the server is up.")


def check_migrations() -> Check:
    try:
        migrate = current_app.extensions["migrate"]
        script = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
        heads = set(script.get_heads())
        if current == heads:
            return Check("migrations", True, f"at head {', '.join(sorted(heads))}")
        return Check(
            "migrations",
            False,
            f"database at {sorted(current) or 'nothing'}, code at {sorted(heads)}",
            "Run `flask db upgrade`.",
        )
    except Exception as exc:
        return Check("migrations", False, str(exc).splitlines()[0], "Run `flask db upgrade`.")


def check_redis() -> Check:
    redis = get_redis()
    if redis is None:
        return Check("redis", True, "not configured: jobs run in-process (single-process install)")
    try:
        redis.ping()
        return Check("redis", True, current_app.config["REDIS_URL"].split("@")[-1])
    except Exception as exc:
        return Check("redis", False, str(exc), "Check REDIS_URL and that Redis is running.")


def check_web_processes() -> Check:
    # Without Redis, login throttling, the collection lock and API pacing live in process memory:
    # they hold only inside one web process (gunicorn.conf.py runs one by default then).
    workers = os.environ.get("WEB_CONCURRENCY", "").strip()
    if get_redis() is not None or not workers:
        return Check("web processes", True, f"WEB_CONCURRENCY={workers or 'default'}")
    if workers.isdecimal() and int(workers) <= 1:
        return Check("web processes", True, f"WEB_CONCURRENCY={workers} (single process, no Redis needed)")
    return Check(
        "web processes",
        False,
        f"WEB_CONCURRENCY={workers} without Redis: locks and login throttling are per process",
        "Set REDIS_URL, or WEB_CONCURRENCY=1 (threads via WEB_THREADS are fine).",
    )


def check_secrets() -> Check:
    from core.config import MIN_SECRET_KEY_BYTES

    cfg = current_app.config
    source = cfg.get("SECRET_KEY_SOURCE", "environment")
    if len(cfg["SECRET_KEY"].encode()) < MIN_SECRET_KEY_BYTES:
        return Check(
            "secrets",
            cfg["VISTAFLOW_ENV"] != "production",
            f"SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes",
            'Set a longer one: python -c "import secrets; print(secrets.token_urlsafe(48))"',
        )
    if source != "environment":
        return Check(
            "secrets", True, f"SECRET_KEY generated for this install in {source} (keep the file; set it in production)"
        )
    return Check("secrets", True, "set")


def check_clock() -> Check:
    # Without Redis the web process runs periodic and delayed jobs itself, under a lease in the database.
    from core.services.jobs import clock

    try:
        lease, backlog, entry = clock.lease(), clock.delayed_backlog(), clock.next_entry()
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        return Check("clock", False, str(exc).splitlines()[0], "Run `flask db upgrade`.")
    waiting = f"{backlog.waiting} delayed job(s) waiting" + (
        f", next due {backlog.next_due_at:%Y-%m-%d %H:%M:%S} UTC" if backlog.next_due_at else ""
    )
    if get_redis() is not None:
        if backlog.waiting:
            return Check(
                "clock",
                False,
                f"REDIS_URL is set but {waiting} on the single-process clock (queued before Redis was configured)",
                "Run `flask vistaflow clock` once until they are done, or retry them from the Jobs page.",
            )
        return Check(
            "clock", True, "Redis installs: `python -m worker.scheduler` runs periodic jobs, workers delayed ones"
        )
    now = utcnow()
    upcoming = f"; next periodic: {entry.id} at {entry.next_run_at:%H:%M} UTC" if entry else ""
    if lease is not None and lease.expires_at > now:
        return Check(
            "clock",
            True,
            f"running in {lease.holder} (lease renewed {int((now - lease.renewed_at).total_seconds())}s ago, "
            f"one runner at a time); {waiting}{upcoming}",
        )
    detail = f"no web process is running the clock (it runs inside gunicorn when REDIS_URL is unset); {waiting}"
    if backlog.overdue:
        return Check(
            "clock",
            False,
            f"{detail}, {backlog.overdue} overdue",
            "Start the web process (`gunicorn --config gunicorn.conf.py wsgi:app` or scripts/start.sh), "
            "or run `flask vistaflow clock`; each due job then runs once.",
        )
    return Check("clock", True, detail + upcoming)


def check_encryption() -> Check:
    from core import crypto

    try:
        keys = crypto.describe()
    except Exception as exc:
        return Check("encryption", False, str(exc), "Set VISTAFLOW_ENCRYPTION_KEYS (see README, Configuration).")
    return Check("encryption", True, f"encrypting with key {keys['primary']!r}; can decrypt {keys['key_ids']}")


def run_checks() -> list[Check]:
    return [
        check_database(),
        check_migrations(),
        check_redis(),
        check_web_processes(),
        check_secrets(),
        check_clock(),
        check_encryption(),
    ]
