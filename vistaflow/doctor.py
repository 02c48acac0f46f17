"""Health checks shared by `flask vistaflow doctor` and the readiness probe."""

from __future__ import annotations

import os
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from core.db import db
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
    cfg = current_app.config
    weak = [name for name in ("SECRET_KEY",) if cfg[name].startswith("dev-only")]
    if weak and cfg["VISTAFLOW_ENV"] == "production":
        return Check("secrets", False, f"development defaults in use: {', '.join(weak)}", "Set them.")
    if weak:
        return Check("secrets", True, "development defaults (fine locally; set SECRET_KEY in production)")
    return Check("secrets", True, "set")


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
        check_encryption(),
    ]
