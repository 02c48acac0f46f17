"""/admin: the operator API (platform administrators only; everyone else gets 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.jobs import JobOut
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from core.models import Membership, Role, User, Workspace
from core.services.operators import admin as platform_admin
from core.services.operators import directory as platform_directory

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def only_platform_admins() -> None:
    # Before any parsing, so a non-operator learns nothing (not even a 422) about these routes.
    platform_admin.require_platform_admin(current_actor())


class SearchQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Part of a name, slug or email.")


class SuspendIn(In):
    reason: str = Field("", max_length=500)


class AdminWorkspaceOut(Out):
    id: int
    name: str
    slug: str
    time_zone: str
    suspended: bool
    suspended_at: datetime | None
    members: int
    created_at: datetime

    @classmethod
    def of(cls, workspace: Workspace, members: int, **extra: Any) -> AdminWorkspaceOut:
        """`members` is the member count; `extra` fills a subclass's own fields (the detail's)."""
        return cls(
            id=workspace.id,
            name=workspace.name,
            slug=workspace.slug,
            time_zone=workspace.time_zone,
            suspended=workspace.is_suspended,
            suspended_at=workspace.suspended_at,
            members=members,
            created_at=workspace.created_at,
            **extra,
        )


class AdminUserOut(Out):
    id: int
    email: str
    name: str
    is_platform_admin: bool
    suspended: bool
    suspended_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, user: User, **extra: Any) -> AdminUserOut:
        """`extra` fills a subclass's own fields (the detail's)."""
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            is_platform_admin=user.is_platform_admin,
            suspended=user.is_suspended,
            suspended_at=user.suspended_at,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
            **extra,
        )


class AdminMemberOut(Out):
    user_id: int
    email: str
    name: str
    role: str
    suspended: bool

    @classmethod
    def of(cls, m: Membership) -> AdminMemberOut:
        return cls(
            user_id=m.user_id,
            email=m.user.email,
            name=m.user.name,
            role=Role(m.role).value,
            suspended=m.user.is_suspended,
        )


class AdminSocialAccountOut(Out):
    """An account as operators see it: its handle, quota and today's sends (never a token)."""

    id: int
    platform: str
    handle: str
    status: str
    last_collected_at: datetime | None
    daily_dm_quota: int
    dms_sent_today: int


class FailedDeliveryOut(Out):
    id: int
    event_type: str
    attempts: int
    response_code: int | None
    last_error: str | None
    at: datetime


class AdminWorkspaceDetailOut(AdminWorkspaceOut):
    member_list: list[AdminMemberOut]
    social_accounts: list[AdminSocialAccountOut]
    last_collection_at: datetime | None
    last_collection_status: str | None
    daily_dm_quota: int
    dms_sent_today: int | None
    failed_jobs: list[JobOut]
    failed_deliveries: list[FailedDeliveryOut]


class UserWorkspaceOut(Out):
    id: int
    name: str
    slug: str
    role: str
    suspended: bool

    @classmethod
    def of(cls, workspace: Workspace, role: Role) -> UserWorkspaceOut:
        return cls(
            id=workspace.id,
            name=workspace.name,
            slug=workspace.slug,
            role=role.value,
            suspended=workspace.is_suspended,
        )


class AdminUserDetailOut(AdminUserOut):
    workspaces: list[UserWorkspaceOut]
    active_api_tokens: int


@operation(
    bp,
    "GET",
    "/workspaces",
    summary="Every workspace, newest first (search with q)",
    query=SearchQuery,
    response=PageOut[AdminWorkspaceOut],
    errors=(404,),
)
def list_workspaces(query: SearchQuery):
    page = platform_directory.workspaces_page(actor=current_actor(), q=query.q, cursor=query.cursor, limit=query.limit)
    counts = platform_directory.member_counts([w.id for w in page.items])
    return page.map(lambda w: AdminWorkspaceOut.of(w, counts.get(w.id, 0)))


@operation(
    bp,
    "GET",
    "/workspaces/<int:workspace_id>",
    summary="A workspace: members, accounts, quota, failed jobs",
    response=AdminWorkspaceDetailOut,
)
def get_workspace(workspace_id: int):
    detail = platform_directory.workspace_detail(workspace_id, actor=current_actor())
    last = detail.last_collection
    return AdminWorkspaceDetailOut.of(
        detail.workspace,
        len(detail.members),
        member_list=[AdminMemberOut.of(m) for m in detail.members],
        social_accounts=detail.social_accounts,
        last_collection_at=(last.ended_at or last.created_at) if last else None,
        last_collection_status=last.status if last else None,
        daily_dm_quota=detail.daily_dm_quota,
        dms_sent_today=detail.dms_sent_today,
        failed_jobs=[JobOut.model_validate(r) for r in detail.failed_jobs],
        failed_deliveries=detail.failed_deliveries,
    )


def _workspace_answer(workspace: Workspace) -> AdminWorkspaceOut:
    return AdminWorkspaceOut.of(workspace, platform_directory.member_counts([workspace.id]).get(workspace.id, 0))


@operation(
    bp,
    "POST",
    "/workspaces/<int:workspace_id>/suspend",
    summary="Suspend a workspace (jobs stop, changes refused, data kept)",
    body=SuspendIn,
    response=AdminWorkspaceOut,
)
def suspend_workspace(workspace_id: int, body: SuspendIn):
    return _workspace_answer(platform_admin.suspend_workspace(workspace_id, actor=current_actor(), reason=body.reason))


@operation(
    bp,
    "POST",
    "/workspaces/<int:workspace_id>/reactivate",
    summary="Reactivate a suspended workspace",
    response=AdminWorkspaceOut,
)
def reactivate_workspace(workspace_id: int):
    return _workspace_answer(platform_admin.reactivate_workspace(workspace_id, actor=current_actor()))


@operation(
    bp,
    "GET",
    "/users",
    summary="Every user, newest first (search with q)",
    query=SearchQuery,
    response=PageOut[AdminUserOut],
    errors=(404,),
)
def list_users(query: SearchQuery):
    page = platform_directory.users_page(actor=current_actor(), q=query.q, cursor=query.cursor, limit=query.limit)
    return page.map(AdminUserOut.of)


@operation(
    bp, "GET", "/users/<int:user_id>", summary="A user's workspaces, roles and last login", response=AdminUserDetailOut
)
def get_user(user_id: int):
    detail = platform_directory.user_detail(user_id, actor=current_actor())
    return AdminUserDetailOut.of(
        detail.user,
        workspaces=[UserWorkspaceOut.of(w, r) for w, r in detail.workspaces],
        active_api_tokens=detail.active_api_tokens,
    )


@operation(
    bp,
    "POST",
    "/users/<int:user_id>/suspend",
    summary="Suspend a user (logins, sessions and tokens refused)",
    body=SuspendIn,
    response=AdminUserOut,
    errors=(409,),
)
def suspend_user(user_id: int, body: SuspendIn):
    return AdminUserOut.of(platform_admin.suspend_user(user_id, actor=current_actor(), reason=body.reason))


@operation(bp, "POST", "/users/<int:user_id>/reactivate", summary="Reactivate a suspended user", response=AdminUserOut)
def reactivate_user(user_id: int):
    return AdminUserOut.of(platform_admin.reactivate_user(user_id, actor=current_actor()))
