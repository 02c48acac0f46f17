"""Keeping platform tokens alive: Instagram long-lived tokens and TikTok's rotating refresh tokens."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from core.crypto import DecryptionError
from core.db import db, utcnow
from core.errors import Unavailable
from core.models import AccountStatus, Platform, SocialAccount
from core.platforms.base import PlatformError, PlatformUnavailable, RateLimited, TokenExpired
from core.services.accounts.connect import LABELS, oauth_client
from core.services.accounts.connected import mark_needs_reconnect

log = logging.getLogger(__name__)

# Instagram: a long-lived token can be refreshed once it is 24 h old; refresh well before 60 days run out.
IG_MIN_AGE = timedelta(hours=24)
IG_REFRESH_WITHIN = timedelta(days=15)
# TikTok access tokens live about a day: refresh whatever would lapse before the next daily run.
TIKTOK_REFRESH_WITHIN = timedelta(hours=26)


def _due_ids(now: datetime) -> list[int]:
    connected = (SocialAccount.status == AccountStatus.CONNECTED.value) & SocialAccount.access_token_encrypted.is_not(
        None
    )
    instagram = (
        (SocialAccount.platform == Platform.INSTAGRAM.value)
        & (SocialAccount.access_token_expires_at <= now + IG_REFRESH_WITHIN)
        & (SocialAccount.token_refreshed_at <= now - IG_MIN_AGE)
    )
    tiktok = (SocialAccount.platform == Platform.TIKTOK.value) & (
        SocialAccount.access_token_expires_at <= now + TIKTOK_REFRESH_WITHIN
    )
    stmt = select(SocialAccount.id).where(connected & (instagram | tiktok)).order_by(SocialAccount.id)
    return list(db.session.scalars(stmt))


def _expires(now: datetime, seconds: int | None) -> datetime | None:
    return now + timedelta(seconds=int(seconds)) if seconds else None


def _refresh_one(account: SocialAccount, now: datetime) -> str:
    platform = Platform(account.platform)
    if platform == Platform.INSTAGRAM:
        if account.access_token_expires_at and account.access_token_expires_at <= now:
            mark_needs_reconnect(
                account, "The Instagram token expired before it could be refreshed; reconnect the account."
            )
            return "needs_reconnect"
        grant = oauth_client(platform).refresh(account.decrypted_access_token())
        account.store_tokens(access_token=grant.access_token, expires_at=_expires(now, grant.expires_in))
        return "refreshed"
    refresh_token = account.decrypted_refresh_token()
    if refresh_token is None or (account.refresh_token_expires_at and account.refresh_token_expires_at <= now):
        mark_needs_reconnect(account, "The TikTok authorization expired; reconnect the account.")
        return "needs_reconnect"
    grant = oauth_client(platform).refresh(refresh_token)
    # TikTok rotates refresh tokens: keep the newest every time, or the next refresh fails.
    account.store_tokens(
        access_token=grant.access_token,
        expires_at=_expires(now, grant.expires_in),
        refresh_token=grant.refresh_token,
        refresh_expires_at=_expires(now, grant.refresh_expires_in),
    )
    return "refreshed"


def refresh_account(account_id: int, now: datetime | None = None) -> str:
    """Refresh one account's token if it is still due; commits. Returns what happened."""
    now = now or utcnow()
    # Lock the row so two runs never spend the same (single-use) TikTok refresh token.
    account = db.session.scalar(select(SocialAccount).where(SocialAccount.id == account_id).with_for_update())
    if account is None or account.status != AccountStatus.CONNECTED.value or account.access_token_encrypted is None:
        db.session.rollback()
        return "skipped"
    try:
        outcome = _refresh_one(account, now)
    except TokenExpired as exc:
        subcode = f", subcode {exc.subcode}" if exc.subcode else ""
        name = LABELS[Platform(account.platform)]
        reason = f"{name} rejected the token (error 190{subcode}): {exc.message}. Reconnect the account."
        mark_needs_reconnect(account, reason)
        outcome = "needs_reconnect"
    except DecryptionError:
        mark_needs_reconnect(
            account, "The stored token cannot be decrypted (its encryption key is gone); reconnect the account."
        )
        outcome = "needs_reconnect"
    except (RateLimited, PlatformUnavailable, Unavailable) as exc:
        db.session.rollback()
        log.warning("token refresh of social account %s deferred: %s", account_id, type(exc).__name__)
        return "deferred"
    except PlatformError as exc:
        db.session.rollback()
        log.warning("token refresh of social account %s failed: code %s", account_id, getattr(exc, "code", None))
        return "failed"
    db.session.commit()
    return outcome


def refresh_due_tokens(now: datetime | None = None) -> dict[str, int]:
    """Refresh every token that is due; error 190 flags the account once (never retried in a loop)."""
    now = now or utcnow()
    counts = {"refreshed": 0, "needs_reconnect": 0, "deferred": 0, "failed": 0, "skipped": 0}
    for account_id in _due_ids(now):
        counts[refresh_account(account_id, now)] += 1
    return counts
