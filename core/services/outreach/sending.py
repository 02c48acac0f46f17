"""Sending one approved DM at most once.

The intent (`sending`, with send_started_at and the reserved quota day) is committed before the
platform call and the outcome after it. A run that finds its DM already `sending` belongs to a dead
attempt whose outcome is lost: it marks the DM `unknown` for a person to check and never resends.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from sqlalchemy import func, select

from core import events
from core.db import db, utcnow
from core.models import Conversation, DirectMessage, DmEvent, DmKind, DmStatus, SocialAccount, Target
from core.platforms import (
    AlreadyReplied,
    OutsideMessagingWindow,
    PermissionMissing,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    RecipientUnavailable,
    SendResult,
    TokenExpired,
)
from core.services.accounts import connected as social_accounts
from core.services.automations import public_replies
from core.services.conversations import threads
from core.services.identity.actors import Actor
from core.services.outreach import eligibility, followups, lifecycle, queueing, quota

log = logging.getLogger(__name__)

SYSTEM = Actor.system("sender")
LOST = (
    "A previous send attempt stopped before recording its outcome; the message may have gone out. "
    "Check the conversation on Instagram before sending anything again."
)
PAUSED_RETRY = 15 * 60
UNAVAILABLE_RETRY = 5 * 60
UNAVAILABLE_ATTEMPTS = 3
STUCK_AFTER = timedelta(minutes=10)  # well past the interactive queue's job timeout


def _lock(dm_id: int) -> DirectMessage | None:
    stmt = select(DirectMessage).where(DirectMessage.id == dm_id).with_for_update()
    return db.session.scalar(stmt.execution_options(populate_existing=True))


def send(dm_id: int) -> dict:
    """Send DM `dm_id` if it is approved and still allowed; record the outcome (commits twice)."""
    dm = _lock(dm_id)
    if dm is None:
        return {"status": "missing"}
    if dm.status == DmStatus.SENDING.value:
        lifecycle.move(dm, DmStatus.UNKNOWN, SYSTEM, LOST)
        db.session.commit()
        return {"status": DmStatus.UNKNOWN.value}
    if dm.status != DmStatus.APPROVED.value:
        db.session.commit()
        return {"status": dm.status, "sent": False}
    account = db.session.get(SocialAccount, dm.social_account_id)
    target = db.session.get(Target, dm.target_id)
    try:
        eligibility.recheck(dm, account, target)
    except eligibility.Ineligible as exc:
        return _not_now(dm, account, exc.message)
    slot = quota.reserve(account)
    if not slot.ok:
        dm.status_reason = slot.reason
        db.session.commit()
        queueing.send_later(dm.id, dm.workspace_id, slot.wait_seconds)
        return {"status": dm.status, "waiting_seconds": round(slot.wait_seconds)}
    client = social_accounts.client_for(account)
    dm.quota_day = slot.day
    dm.send_started_at = utcnow()
    lifecycle.move(dm, DmStatus.SENDING, SYSTEM)
    kind, recipient, text, tag = dm.kind, (dm.comment_platform_id or target.platform_user_id), dm.text, dm.message_tag
    db.session.commit()  # the intent is durable before anything leaves

    try:
        if kind == DmKind.PRIVATE_REPLY.value:
            result = client.send_private_reply(recipient, text)
        else:
            result = client.send_message(recipient, text, tag=tag) if tag else client.send_message(recipient, text)
    except PlatformError as exc:
        return _failed(dm_id, exc)
    except Exception as exc:  # we cannot tell whether the platform took it
        log.exception("DM %s: unexpected error during the send", dm_id)
        return _record(
            dm_id,
            DmStatus.UNKNOWN,
            f"unexpected error during the send ({type(exc).__name__}); check the conversation on Instagram",
        )
    finally:
        close = getattr(client, "close", None)
        if close:
            close()
    return _sent(dm_id, result)


def _not_now(dm: DirectMessage, account: SocialAccount, reason: str) -> dict:
    if account.paused and account.status == "connected":
        # A pause is a person's choice to hold sends, not a refusal: the DM waits.
        dm.status_reason = f"waiting: {reason}"
        db.session.commit()
        queueing.send_later(dm.id, dm.workspace_id, PAUSED_RETRY)
        return {"status": dm.status, "waiting_seconds": PAUSED_RETRY}
    lifecycle.move(dm, DmStatus.FAILED, SYSTEM, reason)
    db.session.commit()
    return {"status": DmStatus.FAILED.value, "reason": reason}


def _sent(dm_id: int, result: SendResult) -> dict:
    dm = _lock(dm_id)
    lifecycle.move(dm, DmStatus.SENT, SYSTEM)
    dm.sent_at = utcnow()
    dm.platform_message_id = result.message_id
    events.emit(
        "dm.sent",
        dm.workspace_id,
        {"dm_id": dm.id, "target_id": dm.target_id, "social_account_id": dm.social_account_id},
    )
    followups.lead_contacted(dm.target_id, dm.id)
    threads.note_outbound(dm)
    db.session.commit()
    public_replies.after_sent(dm_id)
    return {"status": DmStatus.SENT.value}


def _record(dm_id: int, status: DmStatus, reason: str, *, release: bool = False) -> dict:
    dm = _lock(dm_id)
    if release:
        quota.release(dm.social_account_id, dm.quota_day)
        dm.quota_day = None
    lifecycle.move(dm, status, SYSTEM, reason)
    db.session.commit()
    return {"status": status.value, "reason": reason}


def _retries_so_far(dm_id: int, prefix: str) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(DmEvent).where(DmEvent.dm_id == dm_id, DmEvent.reason.like(prefix + "%"))
        )
        or 0
    )


def _failed(dm_id: int, exc: PlatformError) -> dict:
    detail = exc.message
    if isinstance(exc, RateLimited):
        delay = max(exc.retry_after, 30.0) + random.uniform(0, 30)
        outcome = _record(
            dm_id, DmStatus.APPROVED, f"rate limited by the platform; retrying in {delay:.0f}s", release=True
        )
        dm = db.session.get(DirectMessage, dm_id)
        queueing.send_later(dm_id, dm.workspace_id, delay)
        return outcome
    if isinstance(exc, TokenExpired):
        dm = _lock(dm_id)
        account = db.session.get(SocialAccount, dm.social_account_id)
        reason = f"The platform refused @{account.username}'s token ({detail}); reconnect the account."
        social_accounts.mark_needs_reconnect(account, reason, actor=SYSTEM)
        db.session.flush()
        return _record(dm_id, DmStatus.FAILED, reason, release=True)
    if isinstance(exc, PlatformUnavailable):
        if exc.outcome_unknown:
            return _record(
                dm_id,
                DmStatus.UNKNOWN,
                f"the platform did not confirm the send ({detail}); check the conversation on Instagram",
            )
        prefix = "platform unavailable"
        if _retries_so_far(dm_id, prefix) < UNAVAILABLE_ATTEMPTS:
            outcome = _record(dm_id, DmStatus.APPROVED, f"{prefix} ({detail}); retrying later", release=True)
            dm = db.session.get(DirectMessage, dm_id)
            queueing.send_later(dm_id, dm.workspace_id, UNAVAILABLE_RETRY)
            return outcome
        return _record(dm_id, DmStatus.FAILED, f"{prefix} ({detail}); gave up", release=True)
    if isinstance(exc, RecipientUnavailable):
        _person_unavailable(dm_id)
        reason = "Instagram says this person cannot receive messages from the account; nothing more is offered."
    elif isinstance(exc, AlreadyReplied):
        reason = "Instagram says this comment already has its private reply."
    elif isinstance(exc, OutsideMessagingWindow):
        reason = f"Outside Instagram's messaging window: {detail}"
    elif isinstance(exc, PermissionMissing):
        reason = f"The account lacks a permission Instagram requires: {detail}"
    else:
        reason = f"The platform refused the DM: {detail}"
    return _record(dm_id, DmStatus.FAILED, reason, release=True)


def _person_unavailable(dm_id: int) -> None:
    """Error 551: stop offering DMs to the person, and close their conversation with the reason (no commit)."""
    dm = db.session.get(DirectMessage, dm_id)
    target = db.session.get(Target, dm.target_id)
    target.unavailable_at = utcnow()
    conversation = db.session.scalar(select(Conversation).where(Conversation.target_id == target.id))
    if conversation is not None:
        conversation.state, conversation.state_reason = "done", "unavailable"


def recover_stuck(now=None) -> dict:
    """Mark DMs left `sending` by a dead run as `unknown` (never resent)."""
    cutoff = (now or utcnow()) - STUCK_AFTER
    stuck = db.session.scalars(
        select(DirectMessage)
        .where(DirectMessage.status == DmStatus.SENDING.value, DirectMessage.send_started_at < cutoff)
        .with_for_update(skip_locked=True)
    ).all()
    for dm in stuck:
        lifecycle.move(dm, DmStatus.UNKNOWN, SYSTEM, LOST)
    db.session.commit()
    return {"unknown": len(stuck)}
