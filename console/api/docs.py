"""/openapi.json and the /docs page: Swagger UI 5 (reads OpenAPI 3.1), served from the app itself, no CDN.

The viewer's files come from the flask-swagger-ui wheel's `dist/` folder; only its static files are used,
not its blueprint, so the page keeps the console's headers and our own small start-up script.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, current_app, jsonify, render_template, send_from_directory

from console.api.spec import build_openapi

bp = Blueprint("docs", __name__)

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"


def swagger_ui_version() -> str:
    """The bundled Swagger UI version, e.g. "5.34.0" (its dist/VERSION file)."""
    return (SWAGGER_UI_DIST / "VERSION").read_text().strip().lstrip("v")


@bp.get("/openapi.json")
def openapi_json():
    if "vistaflow_openapi" not in current_app.extensions:
        current_app.extensions["vistaflow_openapi"] = build_openapi("VistaFlow API", "1.0.0")
    return jsonify(current_app.extensions["vistaflow_openapi"])


@bp.get("/docs")
def docs_page():
    return render_template("docs.html")


@bp.get("/docs/assets/<path:filename>")
def docs_asset(filename: str):
    return send_from_directory(SWAGGER_UI_DIST, filename, max_age=86400)
