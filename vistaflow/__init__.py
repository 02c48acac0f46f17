"""The composition root: one app factory for the web, worker, scheduler and bot processes."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from core.config import load_config
from core.crypto import init_app as init_crypto
from core.db import db
from core.logs import init_logging
from core.scoring.sqlite_functions import init_app as init_scoring_sql

migrate = Migrate()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment (plus `test_config` overrides)."""
    app = Flask(__name__, instance_path=os.environ.get("VISTAFLOW_INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        # The client address (login throttle, /metrics) and scheme come from the n proxies in front of us;
        # without them the headers are ignored, so a caller cannot choose the address we see.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    init_logging(app)
    init_crypto(app)
    db.init_app(app)
    init_scoring_sql(app)  # SQLite gets the SQL functions the set-based rescore uses
    migrations_dir = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
    migrate.init_app(app, db, directory=migrations_dir, render_as_batch=True, compare_type=True)

    from console import init_app as init_console
    from vistaflow import cli, request_limits

    request_limits.init_app(app)  # before the doors' hooks: nothing parses a body before it is checked
    init_console(app)
    from bot import init_app as init_bot

    init_bot(app)
    cli.init_app(app)
    return app
