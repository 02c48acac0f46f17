"""The outbox: domain events written in the same transaction as the change that causes them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import BigIntPK, JSONType, UTCDateTime, db, utcnow


class OutboxEvent(db.Model):
    __tablename__ = "outbox_events"
    __table_args__ = (sa.Index("ix_outbox_events_pending", "dispatched_at", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # The envelope id receivers deduplicate on.
    event_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    workspace_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(sa.String(64))
    # Events sharing a key (e.g. "lead:12") are delivered in id order.
    ordering_key: Mapped[str | None] = mapped_column(sa.String(64))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
