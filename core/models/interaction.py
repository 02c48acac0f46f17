"""Interactions: the raw facts (comments, replies, mentions, messages) every score is built on."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import BigIntPK, JSONType, UTCDateTime, db, utcnow


class InteractionKind(enum.StrEnum):
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    MESSAGE = "message"
    STORY_REPLY = "story_reply"
    STORY_MENTION = "story_mention"


class InteractionSource(enum.StrEnum):
    POLL = "poll"
    WEBHOOK = "webhook"


class Interaction(db.Model):
    __tablename__ = "interactions"
    __table_args__ = (
        # The idempotency key: collecting twice or receiving a webhook twice stores one row.
        sa.UniqueConstraint("social_account_id", "platform_id", name="uq_interactions_account_platform_id"),
        sa.Index("ix_interactions_workspace_occurred", "workspace_id", "occurred_at", "id"),
        sa.Index("ix_interactions_target_occurred", "target_id", "occurred_at"),
        sa.Index("ix_interactions_workspace_received", "workspace_id", "received_at"),
        # Search "what people wrote" by any substring, fast at millions of rows (pg_trgm; SQLite scans).
        sa.Index(
            "ix_interactions_text_trgm", "text", postgresql_using="gin", postgresql_ops={"text": "gin_trgm_ops"}
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    social_account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    target_id: Mapped[int | None] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(16))
    platform_id: Mapped[str] = mapped_column(sa.String(128))
    author_platform_id: Mapped[str | None] = mapped_column(sa.String(128))
    author_username: Mapped[str | None] = mapped_column(sa.String(120))
    text: Mapped[str | None] = mapped_column(sa.Text)
    media_id: Mapped[str | None] = mapped_column(sa.String(128))
    media_permalink: Mapped[str | None] = mapped_column(sa.String(500))
    parent_platform_id: Mapped[str | None] = mapped_column(sa.String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(16))
    # Classified once at ingest (core.intent) so scoring stays a set-based SQL aggregate.
    has_intent: Mapped[bool] = mapped_column(default=False)
    intent_reason: Mapped[str | None] = mapped_column(sa.String(100))
    is_opt_out: Mapped[bool] = mapped_column(default=False)
    is_hidden: Mapped[bool] = mapped_column(default=False)
    # Raw platform payload; purged after the retention period (privacy).
    raw: Mapped[dict | None] = mapped_column(JSONType)
