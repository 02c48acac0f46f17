"""/workspaces: the caller's workspaces, their settings and members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from core.models import Membership, Role, Workspace
from core.services.workspaces import lifecycle as workspaces
from core.services.workspaces import settings as workspace_settings
from core.services.workspaces.settings import WorkspaceSettings

bp = Blueprint("workspaces", __name__, url_prefix="/workspaces")


class WorkspaceIn(In):
    name: str = Field(max_length=120)
    time_zone: str = Field("UTC", max_length=64)


class WorkspacePatch(In):
    name: str | None = Field(None, max_length=120)
    time_zone: str | None = Field(None, max_length=64)
    settings: dict[str, Any] | None = None


class WorkspaceOut(Out):
    id: int
    name: str
    slug: str
    time_zone: str
    settings: WorkspaceSettings
    role: str | None
    suspended: bool
    created_at: datetime

    @classmethod
    def of(cls, workspace: Workspace, role: Role | None) -> WorkspaceOut:
        """`role` is the caller's role in the workspace."""
        return cls(
            id=workspace.id,
            name=workspace.name,
            slug=workspace.slug,
            time_zone=workspace.time_zone,
            settings=workspace_settings.read(workspace.settings),
            role=role.value if role else None,
            suspended=workspace.is_suspended,
            created_at=workspace.created_at,
        )


class MemberPatch(In):
    role: str = Field(max_length=16)


class MemberOut(Out):
    user_id: int
    email: str
    name: str
    role: str
    joined_at: datetime

    @classmethod
    def of(cls, m: Membership) -> MemberOut:
        return cls(
            user_id=m.user_id,
            email=m.user.email,
            name=m.user.name,
            role=Role(m.role).value,
            joined_at=m.created_at,
        )


@operation(bp, "GET", "", summary="The caller's workspaces", query=PageQuery, response=PageOut[WorkspaceOut])
def list_workspaces(query: PageQuery):
    page = workspaces.page_for(current_actor(), cursor=query.cursor, limit=query.limit)
    return page.map(lambda row: WorkspaceOut.of(row[0], Role(row[1])))


@operation(
    bp,
    "POST",
    "",
    summary="Create a workspace (the caller becomes owner)",
    body=WorkspaceIn,
    response=WorkspaceOut,
    status=201,
)
def create_workspace(body: WorkspaceIn):
    workspace = workspaces.create(body.name, actor=current_actor(), time_zone=body.time_zone)
    return WorkspaceOut.of(workspace, Role.OWNER)


@operation(bp, "GET", "/<int:workspace_id>", summary="One workspace", response=WorkspaceOut)
def get_workspace(workspace_id: int):
    return WorkspaceOut.of(*workspaces.get(workspace_id, actor=current_actor()))


@operation(
    bp,
    "PATCH",
    "/<int:workspace_id>",
    summary="Rename, change time zone or settings (owner/admin)",
    body=WorkspacePatch,
    response=WorkspaceOut,
    errors=(403,),
)
def update_workspace(workspace_id: int, body: WorkspacePatch):
    actor = current_actor()
    workspaces.update(workspace_id, actor=actor, name=body.name, time_zone=body.time_zone, settings=body.settings)
    return WorkspaceOut.of(*workspaces.get(workspace_id, actor=actor))


@operation(
    bp,
    "GET",
    "/<int:workspace_id>/members",
    summary="Members and their roles",
    query=PageQuery,
    response=PageOut[MemberOut],
)
def list_members(workspace_id: int, query: PageQuery):
    page = workspaces.members_page(workspace_id, actor=current_actor(), cursor=query.cursor, limit=query.limit)
    return page.map(MemberOut.of)


@operation(
    bp,
    "PATCH",
    "/<int:workspace_id>/members/<int:user_id>",
    summary="Change a member's role",
    body=MemberPatch,
    response=MemberOut,
    errors=(403, 409),
)
def change_member_role(workspace_id: int, user_id: int, body: MemberPatch):
    return MemberOut.of(workspaces.change_role(workspace_id, user_id, body.role, actor=current_actor()))


@operation(
    bp, "DELETE", "/<int:workspace_id>/members/<int:user_id>", summary="Remove a member", status=204, errors=(403, 409)
)
def remove_member(workspace_id: int, user_id: int):
    workspaces.remove_member(workspace_id, user_id, actor=current_actor())
    return None, 204
