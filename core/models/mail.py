"""Outgoing mail (one row per message, its body dropped once sent) and password-reset links."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    # No SMTP_URL (the quick start): written to the log, its body kept for the operators' Mail page.
    LOGGED = "logged"
    RETRYING = "retrying"
    FAILED = "failed"
    # Asked for an address with no account (password reset): nothing is sent, but the request
    # did the same work as a real one, so neither the answer nor its timing tells the difference.
    NO_RECIPIENT = "no_recipient"


class MailMessage(db.Model):
    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    to_address: Mapped[str] = mapped_column(sa.String(320))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    # Kept until the message is sent (or fails for good), then emptied: it may hold a one-time link.
    body_text: Mapped[str | None] = mapped_column(sa.Text())
    body_html: Mapped[str | None] = mapped_column(sa.Text())
    status: Mapped[str] = mapped_column(sa.String(16), default=MailStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # digest:<user>:<local day>, hot:<user>:<window>: a second scheduler's run records nothing twice.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    # RFC 8058 one-click unsubscribe target, sent as List-Unsubscribe with List-Unsubscribe-Post.
    unsubscribe_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(db.Model):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The link's secret is mailed once; only its SHA-256 is kept.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
