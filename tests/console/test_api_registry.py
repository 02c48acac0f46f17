"""Every JSON API module is served: a module left out of BLUEPRINTS would silently answer 404."""

from __future__ import annotations

import pkgutil

import console.api
from console.api import BLUEPRINTS

# Modules of console/api that hold helpers, not a blueprint.
NOT_RESOURCES = {"auth_context", "docs", "lead_params", "schemas", "spec"}


def test_every_api_module_with_a_blueprint_is_registered(app):
    modules = {m.name for m in pkgutil.iter_modules(console.api.__path__)} - NOT_RESOURCES
    registered = {bp.import_name.rsplit(".", 1)[-1] for bp in BLUEPRINTS}
    assert modules <= registered, f"not in console/api/__init__.py BLUEPRINTS: {sorted(modules - registered)}"
    assert {bp.name for bp in BLUEPRINTS} <= set(app.blueprints)
