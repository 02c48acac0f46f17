"""Model-level factories for data that normally arrives from the platforms (accounts, people,
interactions). Users and workspaces are made through the API (`factory` fixture) instead.

Call them inside an app context; each commits.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from core.db import db, utcnow
from core.intent import classify
from core.models import Interaction, SocialAccount, Target

_seq = itertools.count(1)


def make_account(
    workspace_id: int,
    *,
    platform: str = "instagram",
    username: str | None = None,
    platform_user_id: str | None = None,
    access_token: str | None = None,
    daily_dm_quota: int | None = None,
    status: str = "connected",
) -> SocialAccount:
    n = next(_seq)
    account = SocialAccount(
        workspace_id=workspace_id,
        platform=platform,
        platform_user_id=platform_user_id or f"1784{n:010d}",
        username=username or f"shop_{n}",
        account_type="BUSINESS",
        status=status,
        daily_dm_quota=daily_dm_quota,
    )
    db.session.add(account)
    db.session.flush()
    account.store_tokens(access_token=access_token or f"IGAAT-test-{n}", expires_at=utcnow() + timedelta(days=60))
    db.session.commit()
    return account


def make_target(
    account: SocialAccount, *, username: str | None = None, platform_user_id: str | None = None, **fields
) -> Target:
    n = next(_seq)
    now = utcnow()
    target = Target(
        workspace_id=account.workspace_id,
        social_account_id=account.id,
        platform=account.platform,
        platform_user_id=platform_user_id or f"person-{n}",
        username=username or f"person_{n}",
        first_seen_at=fields.pop("first_seen_at", now),
        last_seen_at=fields.pop("last_seen_at", now),
        **fields,
    )
    db.session.add(target)
    db.session.commit()
    return target


def make_interaction(
    target: Target,
    *,
    kind: str = "comment",
    text: str = "love it",
    occurred_at: datetime | None = None,
    platform_id: str | None = None,
    media_id: str | None = "media-1",
    source: str = "poll",
    **fields,
) -> Interaction:
    n = next(_seq)
    verdict = classify(text)
    interaction = Interaction(
        workspace_id=target.workspace_id,
        social_account_id=target.social_account_id,
        target_id=target.id,
        platform=target.platform,
        kind=kind,
        platform_id=platform_id or f"{kind}-{n}",
        author_platform_id=target.platform_user_id,
        author_username=target.username,
        text=text,
        media_id=media_id,
        media_permalink=f"https://www.instagram.com/p/{media_id}/" if media_id else None,
        occurred_at=occurred_at or utcnow(),
        source=source,
        has_intent=fields.pop("has_intent", verdict.has_intent),
        intent_reason=fields.pop("intent_reason", verdict.reasons[0] if verdict.reasons else None),
        is_opt_out=fields.pop("is_opt_out", verdict.is_opt_out),
        **fields,
    )
    db.session.add(interaction)
    db.session.commit()
    return interaction
