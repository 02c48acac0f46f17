"""Chat bot jobs: Slack and Telegram work taken out of the request, alert dispatch, digests, upkeep."""

from __future__ import annotations

import logging
from typing import Any

from core import job_names, jobs
from core.db import db
from core.errors import VistaFlowError
from core.models import ChatMessage
from core.services.chat import alerts, dedupe, deliveries, digest, posting
from core.services.workspaces import status as workspace_status

log = logging.getLogger(__name__)
POST_JOB = job_names.POST_CHAT_MESSAGE
REFRESH_JOB = job_names.REFRESH_CHAT_CARDS


def _start(func: str, arg: int, kind: str, workspace_id: int | None) -> None:
    try:
        jobs.enqueue(func, arg, kind=kind, queue=jobs.QUEUE_INTERACTIVE, workspace_id=workspace_id)
    except VistaFlowError as exc:  # a suspended workspace: its message stays pending
        log.info("%s %s not started: %s", kind, arg, exc.message)


def _start_posts(message_ids: list[int]) -> None:
    for message_id in message_ids:
        message = db.session.get(ChatMessage, message_id)
        if message is None:
            continue
        if not workspace_status.is_active(message.workspace_id):
            # Recorded before the suspension: never posted, rather than retried every minute or sent late.
            deliveries.drop(message_id, "workspace suspended")
            continue
        _start(POST_JOB, message_id, "chat.post", message.workspace_id)


def dispatch_alerts() -> dict[str, int]:
    """Turn new outbox events into chat alerts and card refreshes, and retry messages left pending."""
    out = alerts.dispatch()
    retries = [m for m in deliveries.due_for_retry() if m not in out.new_messages]
    _start_posts(out.new_messages + retries)
    for target_id in sorted(out.refresh_targets):
        _start(REFRESH_JOB, target_id, "chat.refresh", None)
    return {
        "events": out.events,
        "posted": len(out.new_messages),
        "retried": len(retries),
        "refreshed": len(out.refresh_targets),
    }


def post_message(message_id: int) -> dict[str, Any]:
    """Post one recorded chat message (alert, card, digest) if nobody else is posting it."""
    return posting.post(message_id)


def refresh_cards(target_id: int) -> dict[str, int]:
    """Edit a person's cards in Slack and Telegram to show their current state."""
    return posting.refresh_target(target_id)


def post_digests() -> dict[str, int]:
    """Record and post the daily digest of workspaces where it is now the digest hour."""
    made = digest.record_due()
    _start_posts(made)
    return {"digests": len(made)}


def purge_chat_keys() -> dict[str, int]:
    """Forget processed update/action ids older than a few days."""
    return {"deleted": dedupe.purge()}
