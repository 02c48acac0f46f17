"""/dm/templates and /dm/settings: DM templates with preview, and the workspace's DM settings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from core.services.outreach import settings, templates

bp = Blueprint("dm_templates", __name__, url_prefix="/dm")


Language = Literal["en", "fr", "es", "de", "it", "pt"]


class TemplateIn(In):
    name: str = Field(max_length=120)
    body: str = Field(max_length=templates.MAX_BODY, description="Variables: " + ", ".join(templates.VARIABLES))
    language: Language | None = Field(None, description="The language it is written in; null: any.")


class TemplatePut(In):
    name: str | None = Field(None, max_length=120)
    body: str | None = Field(None, max_length=templates.MAX_BODY)
    language: Language | None = Field(None, description="The language it is written in; null: any.")


class PreviewIn(In):
    target_id: int = Field(alias="targetId")


class TemplateOut(Out):
    id: int
    workspace_id: int
    name: str
    body: str
    language: str | None
    created_at: datetime
    updated_at: datetime


class PreviewOut(Out):
    text: str
    length: int
    values: dict[str, str]


class DmSettingsIn(In):
    default_template_id: int | None = Field(None, alias="defaultTemplateId")
    language_templates: dict[Language, int | None] | None = Field(
        None,
        alias="languageTemplates",
        description="Template for people who write in that language (null: the default template).",
    )
    min_gap_seconds: int | None = Field(None, alias="minGapSeconds")
    jitter_seconds: int | None = Field(None, alias="jitterSeconds")


class DmSettingsOut(Out):
    default_template_id: int | None
    language_templates: dict[str, int | None]
    dm_min_gap_seconds: int
    dm_gap_jitter_seconds: int
    default_daily_dm_quota: int


@operation(
    bp,
    "GET",
    "/templates/<int:workspace_id>",
    summary="The workspace's DM templates",
    query=PageQuery,
    response=PageOut[TemplateOut],
)
def list_templates(workspace_id: int, query: PageQuery):
    page = templates.page_for(workspace_id, actor=current_actor(), cursor=query.cursor, limit=query.limit)
    return page


@operation(
    bp,
    "POST",
    "/templates/<int:workspace_id>",
    summary="Create a DM template",
    body=TemplateIn,
    response=TemplateOut,
    status=201,
    errors=(403,),
)
def create_template(workspace_id: int, body: TemplateIn):
    return templates.create(
        workspace_id, actor=current_actor(), name=body.name, body=body.body, language=body.language
    ), 201


@operation(
    bp,
    "PUT",
    "/templates/<int:template_id>",
    summary="Rename or rewrite a DM template",
    body=TemplatePut,
    response=TemplateOut,
    errors=(403,),
)
def update_template(template_id: int, body: TemplatePut):
    language = body.language if "language" in body.model_fields_set else templates.UNCHANGED
    return templates.update(template_id, actor=current_actor(), name=body.name, body=body.body, language=language)


@operation(
    bp,
    "DELETE",
    "/templates/<int:template_id>",
    summary="Delete a DM template (owner/admin)",
    status=204,
    errors=(403, 409),
)
def delete_template(template_id: int):
    templates.delete(template_id, actor=current_actor())
    return None, 204


@operation(
    bp,
    "POST",
    "/templates/<int:template_id>/preview",
    summary="Render a template for a target",
    body=PreviewIn,
    response=PreviewOut,
)
def preview_template(template_id: int, body: PreviewIn):
    return templates.preview(template_id, body.target_id, actor=current_actor())


@operation(
    bp, "GET", "/settings/<int:workspace_id>", summary="DM settings: default template, pacing", response=DmSettingsOut
)
def get_settings(workspace_id: int):
    return settings.read(workspace_id, actor=current_actor())


@operation(
    bp,
    "PATCH",
    "/settings/<int:workspace_id>",
    summary="Change DM settings (owner/admin)",
    body=DmSettingsIn,
    response=DmSettingsOut,
    errors=(403,),
)
def update_settings(workspace_id: int, body: DmSettingsIn):
    given = {name: getattr(body, name) for name in body.model_fields_set}
    return settings.update(workspace_id, actor=current_actor(), **given)
