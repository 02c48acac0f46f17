"""The public reply under a comment ("Sent you a DM 📩"), posted once the private reply really went out."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core import job_names, jobs
from core.db import db
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


def post(trigger_id: int) -> dict[str, str]:
    """Post the public reply once: a reply already posted, or refused, is never posted again (commits)."""
    trigger = db.session.scalar(select(AutomationTrigger).where(AutomationTrigger.id == trigger_id).with_for_update())
    if trigger is None or trigger.public_reply_id or trigger.public_reply_error or not trigger.public_reply_text:
        db.session.commit()
        return {"status": "nothing to do"}
    comment = db.session.get(Interaction, trigger.interaction_id)
    account = db.session.get(SocialAccount, comment.social_account_id)
    try:
        client = connected.client_for(account)
        try:
            trigger.public_reply_id = client.reply_to_comment(comment.platform_id, trigger.public_reply_text)
        finally:
            close = getattr(client, "close", None)
            if close:
                close()
    except (PlatformError, VistaFlowError) as exc:
        trigger.public_reply_error = str(getattr(exc, "message", exc))[:500]
        db.session.commit()
        return {"status": "refused", "reason": trigger.public_reply_error}
    db.session.commit()
    return {"status": "posted", "reply_id": trigger.public_reply_id}
