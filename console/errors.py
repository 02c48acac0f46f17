"""The one place where errors become answers: JSON for API callers, HTML for browsers."""

from __future__ import annotations

import logging

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from console.i18n import render
from console.redirects import referrer_or
from core.db import db
from core.errors import Invalid, TooManyRequests, VistaFlowError
from vistaflow.web import error_json

log = logging.getLogger(__name__)

# Blueprints that render HTML; everything else answers JSON.
HTML_BLUEPRINTS = {"web", "docs"}


def wants_json() -> bool:
    if request.blueprint in HTML_BLUEPRINTS:
        return False
    if request.blueprint is not None:
        return True
    # Unknown URL: decide by what the client accepts.
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best != "text/html"


def flash_text(exc: VistaFlowError) -> str:
    """The error in words for a flash; bad input also says what each field needs (the redirect loses the form)."""
    details = " ".join(render(list(exc.fields.values()))) if isinstance(exc, Invalid) and exc.fields else ""
    return f"{render(exc.message)} {details}".strip()


def init_app(app: Flask) -> None:
    @app.errorhandler(VistaFlowError)
    def handle_domain_error(exc: VistaFlowError):
        # A refused use case leaves nothing behind: a later query would otherwise autoflush its half-made change.
        db.session.rollback()
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
        if wants_json():
            return error_json(exc.code, exc.message, exc.status, exc.fields, headers)
        if exc.status == 401:
            return redirect(url_for("web.login", next=request.full_path))
        # A foreign workspace is a 404 whatever the method: a flash-and-redirect would confirm it exists.
        if exc.status == 404 or (exc.status == 403 and request.method == "GET"):
            return render_template("error.html", status=exc.status, message=exc.message), exc.status, headers
        flash(flash_text(exc), "error")
        return redirect(referrer_or(url_for("web.home"))), 303

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        if wants_json():
            response = error_json(code, exc.description or exc.name, exc.code or 500)
            if exc.code == 405 and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        return render_template("error.html", status=exc.code, message=exc.description), exc.code

    @app.errorhandler(DataError)
    def handle_unstorable(exc: DataError):
        # Last line of defence (the API refuses these at parsing): a value PostgreSQL cannot store is bad input.
        db.session.rollback()
        log.warning(
            "refused a value the database cannot store on %s %s: %s",
            request.method,
            request.path,
            type(exc.orig).__name__,
        )
        message = gettext("A value could not be stored: a number out of range or a NUL character.")
        if wants_json():
            return error_json("validation_error", message, 422)
        return render_template("error.html", status=422, message=message), 422

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = gettext("Something went wrong on our side; it has been logged.")
        if wants_json():
            return error_json("internal_error", message, 500)
        return render_template("error.html", status=500, message=message), 500
