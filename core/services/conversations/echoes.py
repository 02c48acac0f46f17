"""Messages the team sent from the Instagram app, seen through Meta's echo webhooks (`is_echo`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.models import DirectMessage, DmKind, DmStatus, SocialAccount, Target
from core.services.conversations import threads


def _target(account: SocialAccount, person_id: str, at: datetime) -> Target:
    target = db.session.scalar(
        sa.select(Target).where(Target.social_account_id == account.id, Target.platform_user_id == person_id)
    )
    if target is not None:
        return target
    target = Target(
        workspace_id=account.workspace_id,
        social_account_id=account.id,
        platform=account.platform,
        platform_user_id=person_id,
        first_seen_at=at,
        last_seen_at=at,
        score_breakdown={},
        score_reasons=[],
    )
    with db.session.begin_nested():
        db.session.add(target)
    return target


def record(account: SocialAccount, *, mid: str, person_id: str, text: str | None, at: datetime) -> bool:
    """Store an echo that is none of our DMs as a message sent by the team; once per mid (no commit)."""
    target = _target(account, person_id, at)
    dm = DirectMessage(
        workspace_id=account.workspace_id,
        social_account_id=account.id,
        target_id=target.id,
        kind=DmKind.MESSAGE.value,
        text=text or "",
        status=DmStatus.SENT.value,
        status_reason="sent from the Instagram app",
        platform_message_id=mid[:200],
        approved_via=threads.ECHO_DOOR,
        sent_at=at,
        delivery_confirmed_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(dm)
    except IntegrityError:
        return False  # the same echo, delivered again
    threads.note_outbound(dm)
    return True
