"""DM outreach: templates, direct messages with their lifecycle, quotas and do-not-contact."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import JSONType, UTCDateTime, db, utcnow


class DmStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


# A DM in one of these states holds (or held) the one private reply a comment allows.
DM_CLAIMS_COMMENT = (DmStatus.APPROVED.value, DmStatus.SENDING.value, DmStatus.SENT.value, DmStatus.UNKNOWN.value)


class DmKind(enum.StrEnum):
    PRIVATE_REPLY = "private_reply"  # recipient.comment_id, within 7 days of the comment
    MESSAGE = "message"  # recipient.id, within 24 h of the person's last message


class DmTemplate(db.Model):
    __tablename__ = "dm_templates"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name", name="uq_dm_templates_workspace_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    # The language the message is written in; None: any (the workspace's default).
    language: Mapped[str | None] = mapped_column(sa.String(8))
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DirectMessage(db.Model):
    __tablename__ = "direct_messages"
    __table_args__ = (
        sa.Index("ix_direct_messages_workspace_status", "workspace_id", "status", "id"),
        sa.Index("ix_direct_messages_target", "target_id"),
        # At most one live private reply per comment, whatever the number of workers or taps.
        sa.Index(
            "uq_direct_messages_live_comment",
            "social_account_id",
            "comment_platform_id",
            unique=True,
            postgresql_where=sa.text("status IN ('approved', 'sending', 'sent', 'unknown')"),
            sqlite_where=sa.text("status IN ('approved', 'sending', 'sent', 'unknown')"),
        ),
        sa.UniqueConstraint("workspace_id", "idempotency_key", name="uq_direct_messages_idempotency"),
        # An echo webhook delivered twice records the team's message from the Instagram app once.
        sa.Index(
            "uq_direct_messages_account_platform_message",
            "social_account_id",
            "platform_message_id",
            unique=True,
            postgresql_where=sa.text("platform_message_id IS NOT NULL"),
            sqlite_where=sa.text("platform_message_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    social_account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"))
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dm_templates.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    comment_platform_id: Mapped[str | None] = mapped_column(sa.String(128))
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=DmStatus.DRAFT.value)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    platform_message_id: Mapped[str | None] = mapped_column(sa.String(200))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))
    # Meta's message tag when one widened the window (HUMAN_AGENT: a person wrote it, 7 days).
    message_tag: Mapped[str | None] = mapped_column(sa.String(32))
    # The workspace-local day whose quota this DM consumed (None until it is reserved).
    quota_day: Mapped[date | None] = mapped_column(sa.Date)
    sequence_enrollment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sequence_enrollments.id", ondelete="SET NULL")
    )
    sequence_step: Mapped[int | None] = mapped_column()
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    approved_via: Mapped[str | None] = mapped_column(sa.String(16))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the is_echo webhook of our own message arrives.
    delivery_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DmEvent(db.Model):
    """Each state change of a DM: who, from which door, why."""

    __tablename__ = "dm_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dm_id: Mapped[int] = mapped_column(sa.ForeignKey("direct_messages.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(320))
    door: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuotaUsage(db.Model):
    """DMs consumed per social account per workspace-local day; reserved with a guarded UPDATE."""

    __tablename__ = "quota_usage"

    social_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("social_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    used: Mapped[int] = mapped_column(default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DoNotContact(db.Model):
    """People never to message again; kept by a one-way hash so an erased person stays protected."""

    __tablename__ = "do_not_contact"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "platform", "person_hash", name="uq_do_not_contact_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(sa.String(16))
    person_hash: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotencyRecord(db.Model):
    """The first answer to a request sent with an Idempotency-Key, replayed for retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_records_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(sa.String(100))
    key: Mapped[str] = mapped_column(sa.String(200))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column()
    response: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
