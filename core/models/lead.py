"""Leads: targets the team works on, through a status pipeline, with a timeline of every change."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import JSONType, UTCDateTime, db, utcnow


class LeadStatus(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    REPLIED = "replied"
    QUALIFIED = "qualified"
    WON = "won"
    LOST = "lost"


class LeadSource(enum.StrEnum):
    AUTO_HOT = "auto_hot"
    MANUAL = "manual"
    IMPORT = "import"
    AUTOMATION = "automation"


class Lead(db.Model):
    __tablename__ = "leads"
    __table_args__ = (
        sa.Index("ix_leads_workspace_status", "workspace_id", "status", "id"),
        sa.Index("ix_leads_workspace_updated", "workspace_id", "updated_at", "id"),
        sa.Index("ix_leads_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=LeadStatus.NEW.value)
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    estimated_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    source: Mapped[str] = mapped_column(sa.String(16), default=LeadSource.MANUAL.value)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LeadTag(db.Model):
    __tablename__ = "lead_tags"
    __table_args__ = (sa.Index("ix_lead_tags_tag", "tag", "lead_id"),)

    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(50), primary_key=True)


class LeadEvent(db.Model):
    """One line of a lead's timeline: what changed, from what to what, who, from which door."""

    __tablename__ = "lead_events"
    __table_args__ = (sa.Index("ix_lead_events_lead_created", "lead_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(320))
    door: Mapped[str] = mapped_column(sa.String(16))
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
