"""People by name: who a DM came from, when the webhook carried only their Instagram-scoped id.

The User Profile API (`GET /{igsid}?fields=name,username,...`) is asked once per person and again only
when the answer is older than PROFILE_TTL. A person already known by username alone (the mention
feed keys them "@name") is merged into the one known by id, so the inbox shows one person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from core import job_names
from core.db import db, utcnow
from core.models import Conversation, DirectMessage, Interaction, Lead, SocialAccount, Target
from core.platforms import PlatformError, TokenExpired
from core.services.accounts import connected

log = logging.getLogger(__name__)

PROFILE_TTL = timedelta(days=7)
JOB_FUNC = job_names.LOOKUP_PROFILES


def needing_lookup(target_ids: set[int], *, now: datetime | None = None) -> dict[int, list[int]]:
    """Instagram people among `target_ids` with no name yet or a stale one, grouped by account id."""
    if not target_ids:
        return {}
    stale = (now or utcnow()) - PROFILE_TTL
    rows = db.session.execute(
        sa.select(Target.social_account_id, Target.id).where(
            Target.id.in_(sorted(target_ids)),
            Target.platform == "instagram",
            ~Target.platform_user_id.startswith("@"),
            sa.or_(
                sa.and_(Target.username.is_(None), Target.profile_checked_at.is_(None)),
                Target.profile_checked_at < stale,
            ),
        )
    )
    grouped: dict[int, list[int]] = {}
    for account_id, target_id in rows:
        grouped.setdefault(account_id, []).append(target_id)
    return grouped


def refresh(account_id: int, target_ids: list[int]) -> dict[str, int]:
    """Fetch each person's username and name, store them, merge "@name" duplicates; commits once."""
    account = db.session.get(SocialAccount, account_id)
    if account is None:
        return {"named": 0, "merged": 0}
    client = connected.client_for(account)
    named = merged = 0
    try:
        for target in db.session.scalars(sa.select(Target).where(Target.id.in_(target_ids)).order_by(Target.id)):
            if target.social_account_id != account.id or not hasattr(client, "person_profile"):
                continue
            try:
                profile = client.person_profile(target.platform_user_id)
            except TokenExpired:
                raise
            except PlatformError as exc:
                # No consent yet (they only commented) or a passing error: try again after the TTL.
                log.info("no profile for target %s: %s", target.id, exc.message)
                target.profile_checked_at = utcnow()
                continue
            target.profile_checked_at = utcnow()
            target.display_name = profile.name and profile.name[:200]
            if profile.username:
                target.username = profile.username[:120]
                named += 1
                merged += _merge_alias(target)
    finally:
        close = getattr(client, "close", None)
        if close:
            close()
    db.session.commit()
    return {"named": named, "merged": merged}


def _merge_alias(target: Target) -> int:
    """Fold the "@username" person of the same account into `target` (no commit); 1 when merged."""
    alias = db.session.scalar(
        sa.select(Target).where(
            Target.social_account_id == target.social_account_id,
            Target.platform_user_id == "@" + (target.username or "").lower()[:119],
        )
    )
    if alias is None or alias.id == target.id:
        return 0
    leads = set(db.session.scalars(sa.select(Lead.target_id).where(Lead.target_id.in_([alias.id, target.id]))))
    if len(leads) == 2:
        log.info("targets %s and %s both have a lead; left unmerged", target.id, alias.id)
        return 0
    db.session.execute(sa.update(Interaction).where(Interaction.target_id == alias.id).values(target_id=target.id))
    db.session.execute(sa.update(DirectMessage).where(DirectMessage.target_id == alias.id).values(target_id=target.id))
    db.session.execute(sa.update(Lead).where(Lead.target_id == alias.id).values(target_id=target.id))
    db.session.execute(sa.delete(Conversation).where(Conversation.target_id == alias.id))
    target.interactions_count += alias.interactions_count
    target.comments_count += alias.comments_count
    target.messages_count += alias.messages_count
    target.first_seen_at = min(target.first_seen_at, alias.first_seen_at)
    target.last_seen_at = max(target.last_seen_at, alias.last_seen_at)
    target.needs_rescore = True
    db.session.delete(alias)
    return 1
