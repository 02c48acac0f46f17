"""What operators read: every workspace and user, searchable, with the detail needed to help them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from core import models
from core.db import db
from core.errors import NotFound
from core.i18n import _
from core.models import Delivery, JobRun, JobStatus, Membership, Role, SocialAccount, User, Workspace
from core.pagination import Page, paginate
from core.services.identity.actors import Actor
from core.services.operators.admin import require_platform_admin
from core.services.outreach import quota
from core.services.workspaces import settings as workspace_settings
from core.text_search import contains

RECENT_FAILED_JOBS = 20


@dataclass
class WorkspaceDetail:
    workspace: Workspace
    members: list[Membership]
    social_accounts: list[dict[str, Any]]
    failed_jobs: list[JobRun]
    last_collection: JobRun | None
    daily_dm_quota: int
    dms_sent_today: int | None
    failed_deliveries: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UserDetail:
    user: User
    workspaces: list[tuple[Workspace, Role]] = field(default_factory=list)
    active_api_tokens: int = 0


def workspaces_page(*, actor: Actor, q: str | None = None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Every workspace, newest first, optionally matching `q` in its name or slug."""
    require_platform_admin(actor)
    stmt = select(Workspace)
    if q and q.strip():
        stmt = stmt.where(contains(q.strip(), Workspace.name, Workspace.slug))
    return paginate(stmt, [Workspace.id], cursor=cursor, limit=limit, descending=True)


def users_page(*, actor: Actor, q: str | None = None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Every user, newest first, optionally matching `q` in their email or name."""
    require_platform_admin(actor)
    stmt = select(User)
    if q and q.strip():
        stmt = stmt.where(contains(q.strip(), User.email, User.name))
    return paginate(stmt, [User.id], cursor=cursor, limit=limit, descending=True)


def member_counts(workspace_ids: list[int]) -> dict[int, int]:
    """How many members each of these workspaces has (one query for a whole page)."""
    if not workspace_ids:
        return {}
    rows = db.session.execute(
        select(Membership.workspace_id, func.count(Membership.id))
        .where(Membership.workspace_id.in_(workspace_ids))
        .group_by(Membership.workspace_id)
    ).all()
    return {workspace_id: count for workspace_id, count in rows}


def _social_accounts(workspace: Workspace) -> list[dict[str, Any]]:
    rows = list(
        db.session.scalars(
            select(SocialAccount).where(SocialAccount.workspace_id == workspace.id).order_by(SocialAccount.id)
        )
    )
    # Only plain, non-secret attributes.
    return [
        {
            "id": gauge.account.id,
            "platform": gauge.account.platform,
            "handle": gauge.account.username,
            "status": gauge.account.status,
            "last_collected_at": gauge.account.last_collected_at,
            "daily_dm_quota": gauge.limit,
            "dms_sent_today": gauge.used,
        }
        for gauge in quota.usage(workspace, rows)
    ]


def _failed_deliveries(workspace_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Delivery)
        .where(Delivery.workspace_id == workspace_id, Delivery.status == "failed")
        .order_by(Delivery.id.desc())
        .limit(RECENT_FAILED_JOBS)
    )
    return [
        {
            "id": row.id,
            "event_type": row.event_type,
            "attempts": row.attempts,
            "response_code": row.response_code,
            "last_error": row.last_error,
            "at": row.updated_at,
        }
        for row in rows
    ]


def workspace_detail(workspace_id: int, *, actor: Actor) -> WorkspaceDetail:
    """One workspace as an operator sees it: members, accounts, collection, quota use, failed jobs and deliveries."""
    require_platform_admin(actor)
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(_("Workspace not found."))
    members = list(
        db.session.scalars(select(Membership).where(Membership.workspace_id == workspace_id).order_by(Membership.id))
    )
    failed = list(
        db.session.scalars(
            select(JobRun)
            .where(JobRun.workspace_id == workspace_id, JobRun.status == JobStatus.FAILED.value)
            .order_by(JobRun.created_at.desc())
            .limit(RECENT_FAILED_JOBS)
        )
    )
    last_collection = db.session.scalar(
        select(JobRun)
        .where(JobRun.workspace_id == workspace_id, JobRun.kind.like("collect%"))
        .order_by(JobRun.created_at.desc())
        .limit(1)
    )
    default_quota = workspace_settings.read(workspace.settings).default_daily_dm_quota
    accounts = _social_accounts(workspace)
    return WorkspaceDetail(
        workspace=workspace,
        members=members,
        social_accounts=accounts,
        failed_jobs=failed,
        last_collection=last_collection,
        daily_dm_quota=default_quota,
        dms_sent_today=sum(a["dms_sent_today"] for a in accounts) if accounts else None,
        failed_deliveries=_failed_deliveries(workspace_id),
    )


def user_detail(user_id: int, *, actor: Actor) -> UserDetail:
    """One user as an operator sees them: their workspaces with roles, last login, active tokens."""
    require_platform_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("User not found."))
    rows = db.session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.id)
    ).all()
    tokens = db.session.scalar(
        select(func.count(models.ApiToken.id)).where(
            models.ApiToken.user_id == user_id, models.ApiToken.revoked_at.is_(None)
        )
    )
    return UserDetail(user=user, workspaces=[(w, Role(r)) for w, r in rows], active_api_tokens=tokens or 0)
