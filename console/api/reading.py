"""/reading: the workspace's reader versions, retrained from its labels, and going back one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint

from console.api.auth_context import current_actor
from console.api.schemas import Out
from console.api.spec import operation
from core.services.reading import versions

bp = Blueprint("reading", __name__, url_prefix="/reading")


class VersionOut(Out):
    version: int
    labels: int
    quality: dict[str, Any]
    is_active: bool
    created_at: datetime


class VersionsOut(Out):
    active_version: int | None
    versions: list[VersionOut]


def _listing(workspace_id: int) -> dict[str, Any]:
    found = versions.history(workspace_id, actor=current_actor())
    active = next((v.version for v in found if v.is_active), None)
    return {"active_version": active, "versions": found}


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>/versions",
    summary="The workspace's reader versions, newest first (none active: the shipped model reads)",
    response=VersionsOut,
)
def list_versions(workspace_id: int):
    return _listing(workspace_id)


@operation(
    bp,
    "POST",
    "/workspace/<int:workspace_id>/rollback",
    summary="Go back one reader version, or to the shipped model (admin)",
    response=VersionsOut,
    errors=(403, 404, 409),
)
def rollback(workspace_id: int):
    versions.rollback(workspace_id, actor=current_actor())
    return _listing(workspace_id)
