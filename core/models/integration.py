"""Integrations (webhooks, Google Sheets, Notion, HubSpot, Pipedrive), their deliveries, what they created outside."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core import crypto
from core.db import BigIntPK, JSONType, UTCDateTime, db, utcnow


class IntegrationKind(enum.StrEnum):
    WEBHOOK = "webhook"
    GOOGLE_SHEETS = "google_sheets"
    NOTION = "notion"
    HUBSPOT = "hubspot"
    PIPEDRIVE = "pipedrive"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Integration(db.Model):
    __tablename__ = "integrations"
    __table_args__ = (sa.Index("ix_integrations_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(120))
    # Non-secret settings only (URL, spreadsheet id, database id...); credentials live in secret_encrypted.
    config: Mapped[dict] = mapped_column(JSONType, default=dict)
    secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    events: Mapped[list] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # What the integration learned about its target (Sheets header written, Notion property names...).
    state: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def store_secret(self, value: str) -> None:
        if self.id is None:
            raise RuntimeError("flush the integration before storing its secret: the row id is bound into it")
        self.secret_encrypted = crypto.encrypt(value, table=self.__tablename__, row_id=self.id, field="secret")

    def decrypted_secret(self) -> str | None:
        """For signing or calling the outside service only; never log, render or return it."""
        if self.secret_encrypted is None:
            return None
        return crypto.decrypt(self.secret_encrypted, table=self.__tablename__, row_id=self.id, field="secret")

    def __repr__(self) -> str:  # the secret stays out of reprs (they end up in logs and tracebacks)
        return f"<Integration {self.id} {self.kind} {self.name!r}>"


class Delivery(db.Model):
    """One outbox event on its way to one integration: attempts, outcome, and when to try again."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "outbox_event_id", name="uq_deliveries_integration_event"),
        sa.Index("ix_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_deliveries_integration", "integration_id", "id"),
        sa.Index("ix_deliveries_ordering", "integration_id", "ordering_key", "outbox_event_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    integration_id: Mapped[int] = mapped_column(sa.ForeignKey("integrations.id", ondelete="CASCADE"))
    outbox_event_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("outbox_events.id", ondelete="CASCADE")
    )
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(sa.String(64))
    ordering_key: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    response_code: Mapped[int | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ExternalRecord(db.Model):
    """What an integration created for a subject (the Sheets row of lead 12, its Notion page), so retries update it."""

    __tablename__ = "external_records"
    __table_args__ = (sa.UniqueConstraint("integration_id", "subject_key", name="uq_external_records_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(sa.ForeignKey("integrations.id", ondelete="CASCADE"))
    subject_key: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


crypto.register_encrypted(Integration, "secret_encrypted", "secret")
