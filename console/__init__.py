"""The console door: server-rendered admin pages and the JSON API, on the shared app."""

from __future__ import annotations

import re
import uuid

from flask import Flask, g, request

from core import outbox_signal
from vistaflow.web import csrf

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def init_app(app: Flask) -> None:
    from console import errors, headers, i18n, ops
    from console.api import BLUEPRINTS as API_BLUEPRINTS
    from console.api import docs
    from console.converters import init_app as init_converters
    from console.web import init_app as init_web

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def kick_outbox(response):
        # Events committed by this request go out now: queued with Redis, else run after the response.
        outbox_signal.kick_if_pending(defer=response.call_on_close)
        return response

    headers.init_app(app)
    init_converters(app)
    i18n.init_app(app)
    csrf.init_app(app)
    for bp in API_BLUEPRINTS:
        csrf.exempt(bp)  # Bearer tokens, not cookies: no CSRF exposure
        app.register_blueprint(bp)
    app.register_blueprint(docs.bp)
    ops.init_app(app)
    init_web(app)
    errors.init_app(app)
