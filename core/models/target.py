"""Targets: one person per social account, with their interest score and its explanation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import JSONType, UTCDateTime, db, utcnow


class Target(db.Model):
    __tablename__ = "targets"
    __table_args__ = (
        sa.UniqueConstraint("social_account_id", "platform_user_id", name="uq_targets_account_person"),
        sa.Index("ix_targets_workspace_score", "workspace_id", "score", "id"),
        sa.Index("ix_targets_workspace_last_seen", "workspace_id", "last_seen_at", "id"),
        sa.Index("ix_targets_workspace_dirty", "workspace_id", "needs_rescore"),
        # Search people by part of their username or name (pg_trgm; SQLite scans).
        sa.Index(
            "ix_targets_username_trgm", "username", postgresql_using="gin", postgresql_ops={"username": "gin_trgm_ops"}
        ).ddl_if(dialect="postgresql"),
        sa.Index(
            "ix_targets_display_name_trgm",
            "display_name",
            postgresql_using="gin",
            postgresql_ops={"display_name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    social_account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(sa.String(16))
    platform_user_id: Mapped[str] = mapped_column(sa.String(128))
    username: Mapped[str | None] = mapped_column(sa.String(120))
    # From the Instagram User Profile API for people known only by a DM's scoped id (cached).
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    profile_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    interactions_count: Mapped[int] = mapped_column(default=0)
    comments_count: Mapped[int] = mapped_column(default=0)
    messages_count: Mapped[int] = mapped_column(default=0)
    # The person's last inbound message opens Instagram's 24-hour messaging window.
    last_inbound_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int] = mapped_column(default=0)
    score_breakdown: Mapped[dict] = mapped_column(JSONType, default=dict)
    score_reasons: Mapped[list] = mapped_column(JSONType, default=list)
    # The language the person writes in (core.intent.language); language_set: a person chose it.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    language_set: Mapped[bool] = mapped_column(default=False)
    is_hot: Mapped[bool] = mapped_column(default=False)
    hot_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set at ingest, cleared by the incremental rescore.
    needs_rescore: Mapped[bool] = mapped_column(default=True)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Instagram answered 551 (the person blocked the account or cannot receive messages): stop offering.
    unavailable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
