"""Connecting Instagram and TikTok accounts through OAuth (start, then the platform's callback)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.errors import Forbidden, Invalid, NotFound, Unavailable
from core.i18n import _
from core.models import AccountStatus, Door, Platform, Role, SocialAccount, User
from core.platforms.base import (
    PermissionMissing,
    PlatformError,
    PlatformUnavailable,
    Profile,
    RateLimited,
    TokenExpired,
    TokenGrant,
)
from core.services import audit
from core.services.accounts import oauth_states
from core.services.identity.access import require_active, require_role
from core.services.identity.actors import Actor

# Instagram API with Instagram Login only serves professional accounts.
PROFESSIONAL_TYPES = {"BUSINESS", "MEDIA_CREATOR"}
LABELS = {Platform.INSTAGRAM: "Instagram", Platform.TIKTOK: "TikTok"}


class ConnectFailed(Invalid):
    """The platform or the person refused the connection; `workspace_id` says where to go back."""

    code = "connect_failed"

    def __init__(self, message: str, *, workspace_id: int | None) -> None:
        super().__init__(message)
        self.workspace_id = workspace_id


def parse_platform(value: str) -> Platform:
    try:
        return Platform(value)
    except ValueError:
        raise NotFound(_("Unknown platform; use instagram or tiktok.")) from None


def oauth_client(platform: Platform) -> Any:
    """The configured OAuth helper for a platform; Unavailable when its app credentials are missing."""
    from core.platforms import factory

    config = current_app.config
    if platform == Platform.INSTAGRAM:
        if not (config.get("INSTAGRAM_CLIENT_ID") and config.get("INSTAGRAM_CLIENT_SECRET")):
            raise Unavailable(_("Instagram is not configured: set INSTAGRAM_CLIENT_ID and INSTAGRAM_CLIENT_SECRET."))
        return factory.instagram_oauth(config)
    if not (config.get("TIKTOK_CLIENT_KEY") and config.get("TIKTOK_CLIENT_SECRET")):
        raise Unavailable(_("TikTok is not configured: set TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET."))
    return factory.tiktok_oauth(config)


@dataclass(frozen=True)
class Authorization:
    url: str  # the platform's authorize URL
    nonce: str  # a browser door keeps it in the session that must come back to the callback


def start_connect(workspace_id: int, platform: str, *, actor: Actor, browser_bound: bool) -> Authorization:
    """Issue a single-use state and return the platform's authorize URL (owner/admin)."""
    chosen = parse_platform(platform)
    require_active(require_role(workspace_id, actor, Role.ADMIN))
    if actor.user_id is None:
        raise Forbidden(_("Only a person can connect an account."))
    oauth = oauth_client(chosen)
    state = oauth_states.issue(chosen.value, workspace_id, actor.user_id, browser_bound=browser_bound)
    db.session.commit()
    return Authorization(url=oauth.authorize_url(state.token), nonce=state.nonce)


def _expiry(seconds: int | None) -> datetime | None:
    return utcnow() + timedelta(seconds=int(seconds)) if seconds else None


def readable_platform_error(platform: Platform, exc: PlatformError) -> str:
    """A sentence for a person; platform messages never carry our tokens, but codes may be useful."""
    name = LABELS[platform]
    if isinstance(exc, (RateLimited, PlatformUnavailable)):
        return f"{name} is not answering right now; try again in a few minutes."
    if isinstance(exc, PermissionMissing):
        return f"{name} did not grant the permissions VistaFlow needs; connect again and allow every permission."
    if isinstance(exc, TokenExpired):
        return f"{name} refused the authorization (expired or already used); connect again."
    detail = (getattr(exc, "message", "") or "").strip()
    return f"{name} refused the connection" + (f": {detail}" if detail else ".") + " Try connecting again."


def _denied_message(platform: Platform, error: str, reason: str | None, description: str | None) -> str:
    name = LABELS[platform]
    if error == "access_denied" or reason == "user_denied":
        return f"The {name} connection was cancelled: permission was not granted. Connect again and allow access."
    return f"{name} refused the connection ({description or error}). Try connecting again."


def actor_for(intent: oauth_states.ConnectIntent) -> Actor:
    """The person who started an OAuth flow, still able to sign in and still owner/admin of its workspace."""
    user = db.session.get(User, intent.user_id)
    if user is None or user.is_suspended:
        raise ConnectFailed(_("The person who started this connection can no longer sign in."), workspace_id=None)
    actor = Actor.for_user(user, Door.CONSOLE)
    try:
        require_active(require_role(intent.workspace_id, actor, Role.ADMIN))
    except (NotFound, Forbidden) as exc:
        raise ConnectFailed(exc.message, workspace_id=intent.workspace_id) from None
    return actor


def _grant_and_profile(platform: Platform, oauth: Any, code: str) -> tuple[TokenGrant, Profile]:
    if platform == Platform.INSTAGRAM:
        short = oauth.exchange_code(code)
        grant = oauth.exchange_long_lived(short.access_token)
        return grant, oauth.profile(grant.access_token)
    grant = oauth.exchange_code(code)
    return grant, oauth.profile(grant.access_token, grant.platform_user_id)


def complete_connect(
    platform: str,
    *,
    state: str | None,
    browser: oauth_states.CallbackBrowser,
    code: str | None = None,
    error: str | None = None,
    error_reason: str | None = None,
    error_description: str | None = None,
) -> SocialAccount:
    """Finish an OAuth callback: check the state, exchange the code, store the account encrypted.

    Raises StateInvalid (bad/expired/reused state) or ConnectFailed (readable, with the workspace);
    nothing but the used state is written on failure.
    """
    chosen = parse_platform(platform)
    intent = oauth_states.consume(chosen.value, state or "", browser)
    actor = actor_for(intent)
    if error:
        raise ConnectFailed(
            _denied_message(chosen, error, error_reason, error_description), workspace_id=intent.workspace_id
        )
    if not code:
        raise ConnectFailed(
            _("%(labels)s did not return an authorization code.", labels=LABELS[chosen]),
            workspace_id=intent.workspace_id,
        )
    try:
        oauth = oauth_client(chosen)
    except Unavailable as exc:
        raise ConnectFailed(exc.message, workspace_id=intent.workspace_id) from None
    try:
        grant, profile = _grant_and_profile(chosen, oauth, code.strip().removesuffix("#_"))
    except PlatformError as exc:
        raise ConnectFailed(readable_platform_error(chosen, exc), workspace_id=intent.workspace_id) from None
    account_type = (profile.account_type or "").upper() or None
    if chosen == Platform.INSTAGRAM and account_type not in PROFESSIONAL_TYPES:
        raise ConnectFailed(
            _(
                "@%(username)s is a personal Instagram account. Switch it to a Business or Creator account "
                "in the Instagram app (Settings > Account type), then connect again.",
                username=profile.username,
            ),
            workspace_id=intent.workspace_id,
        )
    return claim_account(intent.workspace_id, chosen, profile, account_type, grant, actor)


# Namespace of the advisory locks on a platform account (the second key is the account's hash).
IDENTITY_LOCK = 0x5653_4143  # "VSAC"


def claim_account(
    workspace_id: int, platform: Platform, profile: Profile, account_type: str | None, grant: TokenGrant, actor: Actor
) -> SocialAccount:
    """Store the connected account unless it is live in another workspace, one connect of it at a time."""
    _lock_identity(platform, profile)
    _refuse_if_connected_elsewhere(workspace_id, platform, profile)
    try:
        return _store(workspace_id, platform, profile, account_type, grant, actor)
    except IntegrityError:
        # Another callback for the same account won the insert; ours becomes an update.
        db.session.rollback()
        _lock_identity(platform, profile)
        return _store(workspace_id, platform, profile, account_type, grant, actor)


def _lock_identity(platform: Platform, profile: Profile) -> None:
    """Serialise connects of one platform account until this transaction ends.

    The "live elsewhere?" check and the insert are two statements: without the lock, two workspaces
    connecting the same account at once would both see it free. A unique index cannot say "live" across
    workspaces that may legitimately hold old disconnected rows, so the check stays in the service and
    the lock makes it atomic. SQLite runs one writer at a time already.
    """
    if db.engine.dialect.name != "postgresql":
        return
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:identity))"),
        {"space": IDENTITY_LOCK, "identity": f"{platform.value}:{profile.id}"},
    )


def _refuse_if_connected_elsewhere(workspace_id: int, platform: Platform, profile: Profile) -> None:
    """One live connection per platform account: its webhooks, quotas and DMs belong to one workspace.

    The other workspace is not named (the person may not belong to it); its audit log records the
    attempt (as the system: who tried, from another tenant, is not theirs to know), so its owner
    decides whether to disconnect the account there. A workspace that already has the account (a
    reconnect, even of one connected twice before this rule) is never refused.
    """
    mine = db.session.scalar(
        select(SocialAccount.id).where(
            SocialAccount.workspace_id == workspace_id,
            SocialAccount.platform == platform.value,
            SocialAccount.platform_user_id == str(profile.id),
        )
    )
    if mine is not None:
        return
    elsewhere = db.session.scalar(
        select(SocialAccount).where(
            SocialAccount.workspace_id != workspace_id,
            SocialAccount.platform == platform.value,
            SocialAccount.platform_user_id == str(profile.id),
            SocialAccount.status != AccountStatus.DISCONNECTED.value,
        )
    )
    if elsewhere is None:
        return
    audit.record(
        Actor.system("connect"),
        "social_account.connect_refused",
        workspace_id=elsewhere.workspace_id,
        subject_type="social_account",
        subject_id=elsewhere.id,
        details={"platform": platform.value, "username": profile.username, "reason": "connected_here"},
    )
    db.session.commit()
    raise ConnectFailed(
        _(
            "@%(username)s is already connected to another VistaFlow workspace, so it was not connected here. "
            "Ask an owner of that workspace to disconnect it there, then connect it again.",
            username=profile.username,
        ),
        workspace_id=workspace_id,
    )


def _store(
    workspace_id: int, platform: Platform, profile: Profile, account_type: str | None, grant: TokenGrant, actor: Actor
) -> SocialAccount:
    account = db.session.scalar(
        select(SocialAccount)
        .where(
            SocialAccount.workspace_id == workspace_id,
            SocialAccount.platform == platform.value,
            SocialAccount.platform_user_id == str(profile.id),
        )
        .with_for_update()
    )
    reconnect = account is not None
    if account is None:
        account = SocialAccount(workspace_id=workspace_id, platform=platform.value, platform_user_id=str(profile.id))
        db.session.add(account)
    account.username = profile.username
    account.account_type = account_type
    account.status = AccountStatus.CONNECTED.value
    account.status_reason = None
    account.connected_by_user_id = actor.user_id
    db.session.flush()  # the row id is bound into the ciphertexts
    account.store_tokens(
        access_token=grant.access_token,
        expires_at=_expiry(grant.expires_in),
        refresh_token=grant.refresh_token,
        refresh_expires_at=_expiry(grant.refresh_expires_in),
    )
    audit.record(
        actor,
        "social_account.reconnected" if reconnect else "social_account.connected",
        workspace_id=workspace_id,
        subject_type="social_account",
        subject_id=account.id,
        details={"platform": platform.value, "username": profile.username},
    )
    db.session.commit()
    return account
