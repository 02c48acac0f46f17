"""Whether a workspace may have work scheduled: suspended workspaces keep their data but run nothing."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.errors import Forbidden
from core.i18n import _
from core.models import Workspace

SUSPENDED = _("This workspace is suspended; contact your VistaFlow operator.")


def is_active(workspace_id: int) -> bool:
    """True when the workspace exists and is not suspended."""
    row = db.session.execute(select(Workspace.suspended_at).where(Workspace.id == workspace_id)).first()
    return row is not None and row.suspended_at is None


def active_workspace_ids() -> list[int]:
    """Ids of every workspace that is not suspended: what periodic per-workspace jobs iterate over."""
    return list(db.session.scalars(select(Workspace.id).where(Workspace.suspended_at.is_(None)).order_by(Workspace.id)))


def require_serving(workspace_id: int) -> None:
    """Forbidden (SUSPENDED) when the workspace is suspended: what a chat door asks before serving anyone."""
    if not is_active(workspace_id):
        raise Forbidden(SUSPENDED)


def ensure_can_schedule(workspace_id: int) -> None:
    """Refuse to start a job for a suspended workspace."""
    suspended_at = db.session.scalar(select(Workspace.suspended_at).where(Workspace.id == workspace_id))
    if suspended_at is not None:
        raise Forbidden(SUSPENDED)
