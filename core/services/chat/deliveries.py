"""Posting a chat message at most once at a time: claim, then record the chat's answer or the failure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from core.db import db, utcnow
from core.models import ChatMessage, ChatMessageStatus, Interaction, SlackInstallation, Target, Workspace

# A claim older than this belongs to a worker that died; the message may be tried again.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def claim(message_id: int) -> ChatMessage | None:
    """Take a pending message (or one whose worker died) for sending; None if someone else has it or it is done."""
    now = utcnow()
    claimable = or_(
        ChatMessage.status == ChatMessageStatus.PENDING.value,
        (ChatMessage.status == ChatMessageStatus.SENDING.value) & (ChatMessage.claimed_at < now - LEASE),
    )
    result = db.session.execute(
        update(ChatMessage)
        .where(ChatMessage.id == message_id, claimable, ChatMessage.attempts < MAX_ATTEMPTS)
        .values(
            status=ChatMessageStatus.SENDING.value, claimed_at=now, attempts=ChatMessage.attempts + 1, updated_at=now
        )
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(ChatMessage, message_id, populate_existing=True)


def posted(message_id: int, message_ref: str) -> None:
    """The chat took the message; keep its id to edit it later."""
    db.session.execute(
        update(ChatMessage)
        .where(ChatMessage.id == message_id)
        .values(
            status=ChatMessageStatus.POSTED.value,
            message_ref=str(message_ref)[:64],
            posted_at=utcnow(),
            last_error=None,
            updated_at=utcnow(),
        )
    )
    db.session.commit()


def failed(message_id: int, error: str, *, final: bool) -> None:
    """Record a failure: back to pending for a later try, or failed for good (the chat refused)."""
    message = db.session.get(ChatMessage, message_id, populate_existing=True)
    if message is None:
        return
    give_up = final or message.attempts >= MAX_ATTEMPTS
    message.status = (ChatMessageStatus.FAILED if give_up else ChatMessageStatus.PENDING).value
    message.last_error = error[:500]
    message.updated_at = utcnow()
    db.session.commit()


def drop_pending(provider: str, chat_id: str, reason: str) -> int:
    """The destination is gone: its unsent messages will never go out."""
    result = db.session.execute(
        update(ChatMessage)
        .where(
            ChatMessage.provider == provider,
            ChatMessage.chat_id == chat_id,
            ChatMessage.status == ChatMessageStatus.PENDING.value,
        )
        .values(status=ChatMessageStatus.DROPPED.value, last_error=reason[:500], updated_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0


def drop(message_id: int, reason: str) -> bool:
    """A pending message that must never go out (its workspace was suspended); True if dropped."""
    result = db.session.execute(
        update(ChatMessage)
        .where(ChatMessage.id == message_id, ChatMessage.status == ChatMessageStatus.PENDING.value)
        .values(status=ChatMessageStatus.DROPPED.value, last_error=reason[:500], updated_at=utcnow())
    )
    db.session.commit()
    return bool(result.rowcount)


def due_for_retry(older_than: timedelta = timedelta(minutes=1), limit: int = 200) -> list[int]:
    """Messages left pending (a failed try, a lost job) or claimed by a worker that died."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(ChatMessage.id)
            .where(
                ChatMessage.attempts < MAX_ATTEMPTS,
                or_(
                    (ChatMessage.status == ChatMessageStatus.PENDING.value)
                    & (ChatMessage.updated_at < now - older_than),
                    (ChatMessage.status == ChatMessageStatus.SENDING.value) & (ChatMessage.claimed_at < now - LEASE),
                ),
            )
            .order_by(ChatMessage.id)
            .limit(limit)
        )
    )


def cards_of(target_id: int) -> list[ChatMessage]:
    """The posted hot target cards of a person, to edit in place when their state changes."""
    return list(
        db.session.scalars(
            select(ChatMessage)
            .where(
                ChatMessage.target_id == target_id,
                ChatMessage.kind == "hot",
                ChatMessage.status == ChatMessageStatus.POSTED.value,
            )
            .order_by(ChatMessage.id)
        )
    )


def card_in(provider: str, chat_id: str, target_id: int) -> ChatMessage | None:
    """The person's latest posted card in this chat: where news about them is threaded."""
    return db.session.scalar(
        select(ChatMessage)
        .where(
            ChatMessage.provider == provider,
            ChatMessage.chat_id == chat_id,
            ChatMessage.target_id == target_id,
            ChatMessage.kind == "hot",
            ChatMessage.status == ChatMessageStatus.POSTED.value,
        )
        .order_by(ChatMessage.id.desc())
        .limit(1)
    )


def card_at(provider: str, chat_id: str, message_ref: str) -> ChatMessage | None:
    """The card a button was pressed on."""
    return db.session.scalar(
        select(ChatMessage).where(
            ChatMessage.provider == provider,
            ChatMessage.chat_id == chat_id,
            ChatMessage.message_ref == str(message_ref),
        )
    )


def set_note(message_id: int, note: str | None) -> None:
    """Remember the last refusal shown on a card (or clear it)."""
    db.session.execute(
        update(ChatMessage)
        .where(ChatMessage.id == message_id)
        .values(note=note[:500] if note else None, updated_at=utcnow())
    )
    db.session.commit()


def slack_installation(workspace_id: int) -> SlackInstallation | None:
    """The workspace's Slack installation, active or not (to post with, or to disable when Slack says so)."""
    return db.session.scalar(select(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id))


# What a person writes to the account in private (their answer to a DM).
PRIVATE_KINDS = ("message", "story_reply", "story_mention")


def alert_context(message: ChatMessage) -> dict[str, Any]:
    """What a plain alert names besides its data: the person (username, platform) and the workspace's name."""
    context: dict[str, Any] = {"provider": message.provider}
    target = db.session.get(Target, message.target_id) if message.target_id else None
    if target is not None:
        context.update(username=target.username or target.platform_user_id, platform=target.platform)
        if message.kind == "dm_replied":
            # What they wrote, so the team can answer from the chat without opening anything.
            context["said"] = db.session.scalar(
                select(Interaction.text)
                .where(Interaction.target_id == target.id, Interaction.kind.in_(PRIVATE_KINDS))
                .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
                .limit(1)
            )
    workspace = db.session.get(Workspace, message.workspace_id)
    context["workspace_name"] = workspace.name if workspace else ""
    return context


def record_sent(
    workspace_id: int, provider: str, chat_id: str, kind: str, target_id: int, message_ref: str, data: dict[str, Any]
) -> None:
    """Keep a message the bot sent at once (a template to choose, a request for new text): a tap or a reply
    on it is then known to be about `target_id`."""
    now = utcnow()
    db.session.add(
        ChatMessage(
            workspace_id=workspace_id,
            provider=provider,
            chat_id=chat_id,
            kind=kind,
            event_key=f"{kind}:{message_ref}"[:100],
            target_id=target_id,
            data=data,
            status=ChatMessageStatus.POSTED.value,
            message_ref=str(message_ref)[:64],
            attempts=1,
            posted_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    db.session.commit()


def sent_about(provider: str, chat_id: str, target_id: int, kind: str) -> list[ChatMessage]:
    """The messages of `kind` the bot sent at once about a person in one chat, oldest first."""
    return list(
        db.session.scalars(
            select(ChatMessage)
            .where(
                ChatMessage.provider == provider,
                ChatMessage.chat_id == chat_id,
                ChatMessage.target_id == target_id,
                ChatMessage.kind == kind,
            )
            .order_by(ChatMessage.id)
        )
    )


def approval_key(message: ChatMessage) -> str | None:
    """The key one approval of a person takes in a chat: their card's, also for the choices posted under it."""
    if message.kind == "hot":
        return message.event_key
    if (message.data or {}).get("card_key"):
        return message.data["card_key"]
    card = card_in(message.provider, message.chat_id, message.target_id) if message.target_id else None
    return card.event_key if card is not None else None


def mark_done(message_id: int) -> None:
    """A message posted at once whose buttons are gone: never edited again."""
    message = db.session.get(ChatMessage, message_id)
    if message is not None:
        message.data = {**(message.data or {}), "done": True}
        db.session.commit()
