"""/openapi.json and the /docs page (Swagger UI served from the app itself, no CDN)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from console.api.spec import build_openapi

bp = Blueprint("docs", __name__)


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
    return send_from_directory(Path(swagger_ui_path), filename, max_age=86400)
