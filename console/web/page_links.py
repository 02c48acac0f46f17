"""Links to pages that may or may not be installed, so a page never breaks on a missing feature."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from werkzeug.routing import BuildError

from console.web import bp


@bp.app_template_global("optional_url")
def optional_url(endpoint: str, **values: Any) -> str | None:
    """The URL of `endpoint`, or None when no such page is registered (feature not installed)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
