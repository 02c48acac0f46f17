"""Who may be contacted: opt-outs and the workspace's do-not-contact list."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import select, update

from core.db import db, utcnow
from core.models import Conversation, ConversationState, DirectMessage, DmStatus, DoNotContact, Interaction, Target


def person_hash(workspace_id: int, platform: str, platform_user_id: str) -> str:
    """A one-way, workspace-scoped fingerprint of a person (kept even after their data is erased)."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{workspace_id}:{platform}:{platform_user_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def is_blocked(workspace_id: int, platform: str, platform_user_id: str) -> bool:
    digest = person_hash(workspace_id, platform, platform_user_id)
    return (
        db.session.scalar(
            select(DoNotContact.id).where(
                DoNotContact.workspace_id == workspace_id,
                DoNotContact.platform == platform,
                DoNotContact.person_hash == digest,
            )
        )
        is not None
    )


def block(target: Target, reason: str) -> bool:
    """Put a person on the do-not-contact list and cancel what was waiting for them (no commit).

    Returns True when the person was not blocked before.
    """
    newly = not is_blocked(target.workspace_id, target.platform, target.platform_user_id)
    if newly:
        db.session.add(
            DoNotContact(
                workspace_id=target.workspace_id,
                platform=target.platform,
                person_hash=person_hash(target.workspace_id, target.platform, target.platform_user_id),
                reason=reason,
            )
        )
    if target.opted_out_at is None:
        target.opted_out_at = utcnow()
    # An opt-out ends the conversation too, and keeps it ended.
    db.session.execute(
        update(Conversation)
        .where(Conversation.target_id == target.id)
        .values(state=ConversationState.DONE.value, state_reason="opted_out", updated_at=utcnow())
    )
    db.session.execute(
        update(DirectMessage)
        .where(
            DirectMessage.target_id == target.id,
            DirectMessage.status.in_([DmStatus.DRAFT.value, DmStatus.APPROVED.value]),
        )
        .values(status=DmStatus.CANCELLED.value, status_reason=f"person opted out ({reason})", updated_at=utcnow())
    )
    return newly


def unblock_misread(target: Target) -> bool:
    """Lift a block that only a misread opt-out put there ("STOP c'est magnifique"), when no other
    interaction of the person asks to stop; a block for any other reason stays (no commit)."""
    entry = db.session.scalar(
        select(DoNotContact).where(
            DoNotContact.workspace_id == target.workspace_id,
            DoNotContact.platform == target.platform,
            DoNotContact.person_hash == person_hash(target.workspace_id, target.platform, target.platform_user_id),
        )
    )
    if entry is None or entry.reason != "opt_out":
        return False
    db.session.flush()
    still_asking = db.session.scalar(
        select(Interaction.id).where(Interaction.target_id == target.id, Interaction.is_opt_out).limit(1)
    )
    if still_asking is not None:
        return False
    db.session.delete(entry)
    target.opted_out_at = None
    return True
