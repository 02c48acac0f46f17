"""Chat doors (Slack, Telegram): installations, linked chats and people, link codes, posted messages.

Secrets (the Slack bot token) are encrypted with core.crypto, bound to their row.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core import crypto
from core.db import BigIntPK, JSONType, UTCDateTime, db, utcnow


class ChatProvider(enum.StrEnum):
    SLACK = "slack"
    TELEGRAM = "telegram"


class ChatMessageStatus(enum.StrEnum):
    PENDING = "pending"  # recorded, not yet handed to the chat
    SENDING = "sending"  # a worker claimed it; the chat's answer is not stored yet
    POSTED = "posted"
    FAILED = "failed"  # gave up after retries, or the chat refused for good
    DROPPED = "dropped"  # the destination was disabled before it could be sent


# Alert kinds a workspace can switch on and off per destination.
ALERT_KINDS = ("hot", "dm_replied", "needs_reconnect", "digest", "automation")


def default_alerts() -> dict[str, bool]:
    return {kind: True for kind in ALERT_KINDS}


class SlackInstallation(db.Model):
    """The VistaFlow Slack app installed in one Slack team, for one VistaFlow workspace."""

    __tablename__ = "slack_installations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True)
    team_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    team_name: Mapped[str] = mapped_column(sa.String(200), default="")
    bot_user_id: Mapped[str | None] = mapped_column(sa.String(32))
    bot_token_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    scopes: Mapped[str] = mapped_column(sa.String(1000), default="")
    alerts_channel_id: Mapped[str | None] = mapped_column(sa.String(32))
    alerts_channel_name: Mapped[str | None] = mapped_column(sa.String(200))
    # The alerts channel's language; None: the workspace's default.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    alerts: Mapped[dict] = mapped_column(JSONType, default=default_alerts)
    installed_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None and self.bot_token_encrypted is not None

    def store_token(self, token: str) -> None:
        if self.id is None:
            raise RuntimeError("flush the installation before storing its token: the row id is bound into it")
        self.bot_token_encrypted = crypto.encrypt(token, table=self.__tablename__, row_id=self.id, field="bot_token")

    def decrypted_token(self) -> str | None:
        """For calling Slack only; never log, render or return it."""
        if self.bot_token_encrypted is None:
            return None
        return crypto.decrypt(self.bot_token_encrypted, table=self.__tablename__, row_id=self.id, field="bot_token")

    def __repr__(self) -> str:  # the token stays out of reprs
        return f"<SlackInstallation {self.id} team={self.team_id} workspace={self.workspace_id}>"


crypto.register_encrypted(SlackInstallation, "bot_token_encrypted", "bot_token")


class TelegramChat(db.Model):
    """A Telegram chat (private or group) linked to a workspace by a one-time code."""

    __tablename__ = "telegram_chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    # One chat belongs to one workspace, so a command in it is never ambiguous.
    chat_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    chat_type: Mapped[str] = mapped_column(sa.String(16), default="private")
    # The chat's language; None: the linked person's in a private chat, else the workspace's default.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    alerts: Mapped[dict] = mapped_column(JSONType, default=default_alerts)
    linked_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class ChatUserLink(db.Model):
    """A Slack or Telegram user acting as a VistaFlow member of one workspace."""

    __tablename__ = "chat_user_links"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "provider", "external_id", name="uq_chat_user_links_identity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(sa.String(16))
    external_id: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    linked_via: Mapped[str] = mapped_column(sa.String(16))  # email | console | code
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChatLinkCode(db.Model):
    """A one-time, expiring code for t.me/<bot>?start=<code>; only its hash is stored."""

    __tablename__ = "chat_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChatMessage(db.Model):
    """A message the bot posts (alert, card, digest): the delivery record, then the handle to edit it."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        # One message per event per destination, however many dispatchers or retries run.
        sa.UniqueConstraint("provider", "chat_id", "event_key", name="uq_chat_messages_event"),
        sa.Index("ix_chat_messages_target", "target_id"),
        sa.Index("ix_chat_messages_status", "status", "id"),
        sa.Index("ix_chat_messages_ref", "provider", "chat_id", "message_ref"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(32))
    # The outbox event id, or another stable key (digest:<day>), that this message answers.
    event_key: Mapped[str] = mapped_column(sa.String(100))
    target_id: Mapped[int | None] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"))
    dm_id: Mapped[int | None] = mapped_column(sa.ForeignKey("direct_messages.id", ondelete="SET NULL"))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default=ChatMessageStatus.PENDING.value)
    message_ref: Mapped[str | None] = mapped_column(sa.String(64))  # Slack ts / Telegram message_id
    # The last refusal shown on a card ("quota reached: 50/50 today"), cleared when the state moves.
    note: Mapped[str | None] = mapped_column(sa.String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ChatProcessed(db.Model):
    """Keys already handled: Telegram update ids, Slack event/action ids, outbox events seen, digests."""

    __tablename__ = "chat_processed"
    __table_args__ = (sa.UniqueConstraint("source", "key", name="uq_chat_processed_key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    key: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ChatCursor(db.Model):
    """How far the chat alert dispatcher has read the outbox (re-read within a settle window)."""

    __tablename__ = "chat_cursors"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    position: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
