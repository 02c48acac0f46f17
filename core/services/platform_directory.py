"""What operators read: every workspace and user, searchable, with the detail needed to help them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from core import models, workspace_settings
from core.db import db, utcnow
from core.errors import NotFound
from core.models import JobRun, JobStatus, Membership, Role, User, Workspace
from core.pagination import Page, paginate
from core.services.actors import Actor
from core.services.platform_admin import require_platform_admin

# Features still being built add these models; the operator pages show them once they exist.
SocialAccount = getattr(models, "SocialAccount", None)
DirectMessage = getattr(models, "DirectMessage", None)

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


@dataclass
class UserDetail:
    user: User
    workspaces: list[tuple[Workspace, Role]] = field(default_factory=list)
    active_api_tokens: int = 0


def _like(q: str) -> str:
    escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def workspaces_page(*, actor: Actor, q: str | None = None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Every workspace, newest first, optionally matching `q` in its name or slug."""
    require_platform_admin(actor)
    stmt = select(Workspace)
    if q and q.strip():
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                func.lower(Workspace.name).like(pattern, escape="\\"),
                func.lower(Workspace.slug).like(pattern, escape="\\"),
            )
        )
    return paginate(stmt, [Workspace.id], cursor=cursor, limit=limit, descending=True)


def users_page(*, actor: Actor, q: str | None = None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Every user, newest first, optionally matching `q` in their email or name."""
    require_platform_admin(actor)
    stmt = select(User)
    if q and q.strip():
        pattern = _like(q)
        stmt = stmt.where(
            or_(func.lower(User.email).like(pattern, escape="\\"), func.lower(User.name).like(pattern, escape="\\"))
        )
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


def _social_accounts(workspace_id: int) -> list[dict[str, Any]]:
    if SocialAccount is None:
        return []
    rows = db.session.scalars(
        select(SocialAccount).where(SocialAccount.workspace_id == workspace_id).order_by(SocialAccount.id)
    )
    # Read defensively: only plain, non-secret attributes, whatever the final model calls them.
    return [
        {
            "id": row.id,
            "platform": str(getattr(row, "platform", "") or ""),
            "handle": str(getattr(row, "username", None) or getattr(row, "handle", None) or ""),
            "status": str(getattr(row, "status", "") or ""),
            "last_collected_at": getattr(row, "last_collected_at", None),
        }
        for row in rows
    ]


def _dms_sent_today(workspace: Workspace) -> int | None:
    if DirectMessage is None or not hasattr(DirectMessage, "sent_at"):
        return None
    zone = ZoneInfo(workspace.time_zone)
    midnight = datetime.combine(utcnow().astimezone(zone).date(), time.min, tzinfo=zone)
    return db.session.scalar(
        select(func.count(DirectMessage.id)).where(
            DirectMessage.workspace_id == workspace.id, DirectMessage.sent_at >= midnight
        )
    )


def workspace_detail(workspace_id: int, *, actor: Actor) -> WorkspaceDetail:
    """One workspace as an operator sees it: members, accounts, collection, quota use and failed jobs."""
    require_platform_admin(actor)
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found.")
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
    return WorkspaceDetail(
        workspace=workspace,
        members=members,
        social_accounts=_social_accounts(workspace_id),
        failed_jobs=failed,
        last_collection=last_collection,
        daily_dm_quota=workspace_settings.read(workspace.settings).default_daily_dm_quota,
        dms_sent_today=_dms_sent_today(workspace),
    )


def user_detail(user_id: int, *, actor: Actor) -> UserDetail:
    """One user as an operator sees them: their workspaces with roles, last login, active tokens."""
    require_platform_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
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
