"""The public reply under a comment ("Sent you a DM 📩"), posted once the private reply really went out."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core import job_names, jobs
from core.db import db, utcnow
from core.errors import VistaFlowError
from core.models import AutomationTrigger, Interaction, SocialAccount
from core.platforms import PlatformError
from core.services.accounts import connected

log = logging.getLogger(__name__)

JOB = job_names.POST_PUBLIC_REPLY


def after_sent(dm_id: int) -> None:
    """Queue the public reply of the automation that sent `dm_id`, if it has one (call after the commit)."""
    trigger_id = db.session.scalar(
        select(AutomationTrigger.id).where(
            AutomationTrigger.dm_id == dm_id,
            AutomationTrigger.public_reply_text.is_not(None),
            AutomationTrigger.public_reply_id.is_(None),
        )
    )
    if trigger_id is None:
        return
    try:
        jobs.enqueue(JOB, trigger_id, kind="automation.public_reply", queue=jobs.QUEUE_DEFAULT)
    except VistaFlowError:
        log.warning("public reply of automation trigger %s not queued", trigger_id)


LOST = (
    "the previous attempt stopped before Instagram's answer was recorded; it may be posted, so it is not posted again"
)


def post(trigger_id: int) -> dict[str, str]:
    """Post the public reply at most once: the intent is committed before the call, the outcome after; a run
    that finds an intent without an outcome (a worker died) records it as unknown and never posts (commits)."""
    trigger = db.session.scalar(select(AutomationTrigger).where(AutomationTrigger.id == trigger_id).with_for_update())
    if trigger is None or trigger.public_reply_id or trigger.public_reply_error or not trigger.public_reply_text:
        db.session.commit()
        return {"status": "nothing to do"}
    if trigger.public_reply_started_at is not None:
        trigger.public_reply_error = LOST
        db.session.commit()
        return {"status": "unknown"}
    trigger.public_reply_started_at = utcnow()
    comment = db.session.get(Interaction, trigger.interaction_id)
    account = db.session.get(SocialAccount, comment.social_account_id)
    comment_id, text = comment.platform_id, trigger.public_reply_text
    db.session.commit()  # the intent is durable before anything leaves
    try:
        client = connected.client_for(account)
        try:
            reply_id = client.reply_to_comment(comment_id, text)
        finally:
            close = getattr(client, "close", None)
            if close:
                close()
    except (PlatformError, VistaFlowError) as exc:
        return _record(trigger_id, error=str(getattr(exc, "message", exc))[:500])
    return _record(trigger_id, reply_id=reply_id)


def _record(trigger_id: int, *, reply_id: str | None = None, error: str | None = None) -> dict[str, str]:
    trigger = db.session.get(AutomationTrigger, trigger_id, populate_existing=True)
    trigger.public_reply_id, trigger.public_reply_error = reply_id, error
    db.session.commit()
    return {"status": "posted", "reply_id": reply_id} if reply_id else {"status": "refused", "reason": error or ""}
