"""Reading and managing connected social accounts; building platform clients from them."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select

from core import events
from core.db import db
from core.errors import Conflict, Invalid
from core.i18n import _
from core.models import AccountStatus, Platform, Role, SocialAccount
from core.pagination import Page, paginate
from core.platforms.pacing import Pacer
from core.platforms.usage import UsageTracker
from core.redis_conn import get_redis
from core.services import audit
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.workspaces.settings import read as read_settings

log = logging.getLogger(__name__)

MIN_QUOTA, MAX_QUOTA = 1, 1000
UNSET: Any = object()


def effective_quota(account: SocialAccount) -> int:
    """The account's daily DM quota, or the workspace default when it has none of its own."""
    if account.daily_dm_quota is not None:
        return account.daily_dm_quota
    return read_settings(account.workspace.settings).default_daily_dm_quota


def page_for(workspace_id: int, *, actor: Actor, cursor: str | None = None, limit: int | None = None) -> Page:
    """A page of the workspace's accounts (every status), oldest first."""
    require_role(workspace_id, actor, Role.MEMBER)
    stmt = select(SocialAccount).where(SocialAccount.workspace_id == workspace_id)
    return paginate(stmt, [SocialAccount.id], cursor=cursor, limit=limit)


def get(account_id: int, *, actor: Actor, workspace_id: int | None = None) -> SocialAccount:
    """One account of a workspace the actor belongs to (NotFound otherwise)."""
    return get_scoped(SocialAccount, account_id, actor, Role.MEMBER, what="Social account", workspace_id=workspace_id)


def _clean_quota(value: Any) -> int | None:
    if value is None:
        return None
    try:
        quota = int(value)
    except (TypeError, ValueError):
        quota = None
    if quota is None or isinstance(value, bool) or not MIN_QUOTA <= quota <= MAX_QUOTA:
        raise Invalid(
            _("The daily DM quota is out of range."),
            fields={
                "daily_dm_quota": _(
                    "A whole number from %(min_quota)s to %(max_quota)s (empty: workspace default).",
                    min_quota=MIN_QUOTA,
                    max_quota=MAX_QUOTA,
                )
            },
        )
    return quota


def update(
    account_id: int,
    *,
    actor: Actor,
    daily_dm_quota: Any = UNSET,
    paused: bool | None = None,
    workspace_id: int | None = None,
) -> SocialAccount:
    """Change an account's daily quota (None: back to the workspace default) or pause it (owner/admin).

    With `workspace_id` (the page's), an account of any other workspace is NotFound.
    """
    account = get_scoped(SocialAccount, account_id, actor, Role.ADMIN, what="Social account", workspace_id=workspace_id)
    require_active(account.workspace)
    changed: dict[str, Any] = {}
    if daily_dm_quota is not UNSET:
        quota = _clean_quota(daily_dm_quota)
        if quota != account.daily_dm_quota:
            changed["daily_dm_quota"] = {"from": account.daily_dm_quota, "to": quota}
            account.daily_dm_quota = quota
    if paused is not None and bool(paused) != account.paused:
        changed["paused"] = {"from": account.paused, "to": bool(paused)}
        account.paused = bool(paused)
    if changed:
        audit.record(
            actor,
            "social_account.updated",
            workspace_id=account.workspace_id,
            subject_type="social_account",
            subject_id=account.id,
            details=changed,
        )
    db.session.commit()
    return account


def disconnect(account_id: int, *, actor: Actor, workspace_id: int | None = None) -> SocialAccount:
    """Drop the account's tokens and mark it disconnected; the row and its history stay (owner/admin)."""
    account = get_scoped(SocialAccount, account_id, actor, Role.ADMIN, what="Social account", workspace_id=workspace_id)
    require_active(account.workspace)
    account.drop_tokens()
    account.status = AccountStatus.DISCONNECTED.value
    account.status_reason = f"Disconnected by {actor.label}."
    audit.record(
        actor,
        "social_account.disconnected",
        workspace_id=account.workspace_id,
        subject_type="social_account",
        subject_id=account.id,
        details={"platform": account.platform, "username": account.username},
    )
    db.session.commit()
    return account


def mark_needs_reconnect(account: SocialAccount, reason: str, *, actor: Actor | None = None) -> None:
    """Flag an account whose token the platform refused, and emit `account.needs_reconnect` (caller commits)."""
    actor = actor or Actor.system("token-refresh")
    account.status = AccountStatus.NEEDS_RECONNECT.value
    account.status_reason = reason[:500]
    data = {
        "account_id": account.id,
        "platform": account.platform,
        "username": account.username,
        "reason": reason[:500],
    }
    audit.record(
        actor,
        "social_account.needs_reconnect",
        workspace_id=account.workspace_id,
        subject_type="social_account",
        subject_id=account.id,
        details=data,
    )
    events.emit("account.needs_reconnect", account.workspace_id, data)
    log.warning("social account %s (%s) needs reconnecting: %s", account.id, account.platform, reason)


def client_for(account: SocialAccount) -> Any:
    """A platform client for a connected account, holding its decrypted token (never log it)."""
    if account.status != AccountStatus.CONNECTED.value or account.access_token_encrypted is None:
        raise Conflict(_("@%(username)s is not connected; reconnect it first.", username=account.username))
    from core.platforms import factory, sandbox

    if sandbox.is_sandbox(account):
        # The demo's adapter: records sends instead of calling Instagram; refused in production.
        production = current_app.config["VISTAFLOW_ENV"] == "production"
        return sandbox.SandboxClient.for_account(account, production=production)
    token = account.decrypted_access_token()
    key = f"social_account:{account.id}"
    usage = usage_tracker()
    if account.platform == Platform.INSTAGRAM.value:
        return factory.instagram_client(
            current_app.config,
            access_token=token,
            ig_user_id=account.platform_user_id,
            account_key=key,
            usage=usage,
            pacer=pacer(),
        )
    return factory.tiktok_client(
        current_app.config, access_token=token, open_id=account.platform_user_id, account_key=key, usage=usage
    )


def pacer() -> Pacer:
    """Meta's per-account pacing (conversations API, private replies), shared through Redis when configured."""
    shared = current_app.extensions.get("vistaflow_pacer")
    if shared is None:
        shared = current_app.extensions["vistaflow_pacer"] = Pacer(get_redis())
    return shared


def usage_tracker() -> UsageTracker:
    """One tracker per app: shared through Redis by every process, or in memory for a single process."""
    tracker = current_app.extensions.get("vistaflow_usage")
    if tracker is None:
        tracker = current_app.extensions["vistaflow_usage"] = UsageTracker(get_redis())
    return tracker
