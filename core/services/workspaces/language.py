"""Which language a workspace speaks by default (its settings), for readers who chose none."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.models import Membership, Workspace
from core.services.workspaces import settings as workspace_settings


def default_locale(workspace: Workspace) -> str:
    """The workspace's default language code ('en' or 'fr')."""
    return workspace_settings.read(workspace.settings).default_locale


def default_locale_for_member(workspace_id: int, *, user_id: int | None) -> str | None:
    """The default language of a workspace the user belongs to; None for another workspace (never leaks it)."""
    if user_id is None:
        return None
    stored = db.session.scalar(
        select(Workspace.settings)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Workspace.id == workspace_id, Membership.user_id == user_id)
    )
    if stored is None:
        return None
    return workspace_settings.read(stored).default_locale
