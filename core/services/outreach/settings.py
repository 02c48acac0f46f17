"""The workspace's DM settings: default template for hot targets and the pacing between sends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import db
from core.models import DmTemplate, Role, Target, Workspace
from core.services.identity.access import require_role
from core.services.identity.actors import Actor
from core.services.targets import language as person_language
from core.services.workspaces import lifecycle as workspaces
from core.services.workspaces.settings import WorkspaceSettings
from core.services.workspaces.settings import read as read_settings

UNSET: Any = object()


def read(workspace_id: int, *, actor: Actor) -> WorkspaceSettings:
    return read_settings(require_role(workspace_id, actor).settings)


def default_template(workspace: Workspace) -> DmTemplate | None:
    """The default template, or None when unset or deleted since."""
    template_id = read_settings(workspace.settings).default_template_id
    template = db.session.get(DmTemplate, template_id) if template_id else None
    return template if template is not None and template.workspace_id == workspace.id else None


def template_for(workspace: Workspace, target: Target) -> DmTemplate | None:
    """The template to write to this person with, in the language they write in: the one chosen for that
    language; else the default template when it is written in it or it is the workspace's language (the
    default speaks the workspace's language); else the newest template written in it; else the default."""
    language = person_language.of_target(target)
    default = default_template(workspace)
    if language is None:
        return default
    settings = read_settings(workspace.settings)
    chosen = settings.language_templates.get(language)
    template = db.session.get(DmTemplate, chosen) if chosen else None
    if template is not None and template.workspace_id == workspace.id:
        return template
    if language == settings.default_locale or (default is not None and default.language == language):
        return default
    written_in = db.session.scalar(
        select(DmTemplate)
        .where(DmTemplate.workspace_id == workspace.id, DmTemplate.language == language)
        .order_by(DmTemplate.id.desc())
        .limit(1)
    )
    return written_in or default


def update(
    workspace_id: int,
    *,
    actor: Actor,
    default_template_id: Any = UNSET,
    language_templates: Any = UNSET,
    min_gap_seconds: Any = UNSET,
    jitter_seconds: Any = UNSET,
) -> WorkspaceSettings:
    """Change the DM settings (owner/admin); the default template must be one of the workspace's."""
    require_role(workspace_id, actor, Role.ADMIN)
    changes: dict[str, Any] = {}
    if default_template_id is not UNSET:
        # workspaces.update checks that the template is one of this workspace's.
        changes["default_template_id"] = default_template_id
    if language_templates is not UNSET:
        changes["language_templates"] = language_templates
    if min_gap_seconds is not UNSET:
        changes["dm_min_gap_seconds"] = min_gap_seconds
    if jitter_seconds is not UNSET:
        changes["dm_gap_jitter_seconds"] = jitter_seconds
    workspace = workspaces.update(workspace_id, actor=actor, settings=changes)
    return read_settings(workspace.settings)
