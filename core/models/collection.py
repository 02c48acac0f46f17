"""Collection state: what was seen per media and per account, so a quiet cycle costs almost nothing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import JSONType, UTCDateTime, db, utcnow


class MediaState(db.Model):
    __tablename__ = "media_states"
    __table_args__ = (sa.UniqueConstraint("social_account_id", "media_id", name="uq_media_states_account_media"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    social_account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    media_id: Mapped[str] = mapped_column(sa.String(128))
    permalink: Mapped[str | None] = mapped_column(sa.String(500))
    caption: Mapped[str | None] = mapped_column(sa.Text)
    media_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comments_count: Mapped[int] = mapped_column(default=0)
    last_comment_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where a crashed or interrupted page walk resumes.
    cursor: Mapped[str | None] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AccountCollectionState(db.Model):
    __tablename__ = "account_collection_states"

    social_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("social_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    backoff_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    backoff_reason: Mapped[str | None] = mapped_column(sa.String(500))
    mentions_cursor: Mapped[str | None] = mapped_column(sa.String(500))
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # {"new_interactions", "api_calls", "media_checked", "errors": [...]} of the last run.
    last_result: Mapped[dict] = mapped_column(JSONType, default=dict)
