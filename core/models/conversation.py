"""Conversations: one per person and social account, with its state, assignee and who has read it.

The items of a conversation are not copied: they are the person's interactions (comments, replies,
mentions, story replies and mentions, inbound DMs) and the account's direct messages to them (sent
from VistaFlow, or from the Instagram app and seen through echo webhooks), read in time order.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


class ConversationState(enum.StrEnum):
    OPEN = "open"  # the person spoke last: the team owes an answer
    WAITING = "waiting"  # the team answered: waiting on them
    DONE = "done"


class Conversation(db.Model):
    __tablename__ = "conversations"
    __table_args__ = (
        sa.UniqueConstraint("target_id", name="uq_conversations_target"),
        sa.Index("ix_conversations_workspace_last_item", "workspace_id", "last_item_at", "id"),
        sa.Index("ix_conversations_workspace_assignee", "workspace_id", "assignee_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    social_account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(sa.String(16), default=ConversationState.OPEN.value)
    # Why it is done when the team did not close it (opted_out, unavailable).
    state_reason: Mapped[str | None] = mapped_column(sa.String(32))
    assignee_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    last_item_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ConversationRead(db.Model):
    """When a member last read a conversation: it is unread for them while the person spoke after."""

    __tablename__ = "conversation_reads"

    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
