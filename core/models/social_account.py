"""Instagram and TikTok accounts a workspace connected, with their tokens encrypted at rest."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import crypto
from core.db import UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from core.models.workspace import Workspace


class Platform(enum.StrEnum):
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"


class AccountStatus(enum.StrEnum):
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"
    DISCONNECTED = "disconnected"


class SocialAccount(db.Model):
    __tablename__ = "social_accounts"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "platform", "platform_user_id", name="uq_social_accounts_identity"),
        sa.Index("ix_social_accounts_status_expiry", "status", "access_token_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    platform_user_id: Mapped[str] = mapped_column(sa.String(64))
    username: Mapped[str] = mapped_column(sa.String(120))
    account_type: Mapped[str | None] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(20), default=AccountStatus.CONNECTED.value)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Ciphertexts from core.crypto, bound to this row; read them only through the methods below.
    access_token_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_token_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    token_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    daily_dm_quota: Mapped[int | None] = mapped_column()  # None: the workspace default
    paused: Mapped[bool] = mapped_column(default=False)
    last_collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    connected_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    workspace: Mapped[Workspace] = relationship()

    def _seal(self, value: str, field: str) -> str:
        if self.id is None:
            raise RuntimeError("flush the account before storing a token: the row id is bound into the ciphertext")
        return crypto.encrypt(value, table=self.__tablename__, row_id=self.id, field=field)

    def _open(self, token: str | None, field: str) -> str | None:
        if token is None:
            return None
        return crypto.decrypt(token, table=self.__tablename__, row_id=self.id, field=field)

    def store_tokens(
        self,
        *,
        access_token: str,
        expires_at: datetime | None,
        refresh_token: str | None = None,
        refresh_expires_at: datetime | None = None,
    ) -> None:
        """Encrypt and keep a fresh grant; a refresh token is replaced only when a new one is given."""
        self.access_token_encrypted = self._seal(access_token, "access_token")
        self.access_token_expires_at = expires_at
        if refresh_token is not None:
            self.refresh_token_encrypted = self._seal(refresh_token, "refresh_token")
            self.refresh_token_expires_at = refresh_expires_at
        self.token_refreshed_at = utcnow()

    def drop_tokens(self) -> None:
        self.access_token_encrypted = None
        self.access_token_expires_at = None
        self.refresh_token_encrypted = None
        self.refresh_token_expires_at = None

    def decrypted_access_token(self) -> str | None:
        """For building a platform client only; never log, render or return it."""
        return self._open(self.access_token_encrypted, "access_token")

    def decrypted_refresh_token(self) -> str | None:
        """For the token refresh only; never log, render or return it."""
        return self._open(self.refresh_token_encrypted, "refresh_token")

    def __repr__(self) -> str:  # tokens stay out of reprs (they end up in logs and tracebacks)
        return f"<SocialAccount {self.id} {self.platform}:{self.username} {self.status}>"


crypto.register_encrypted(SocialAccount, "access_token_encrypted", "access_token")
crypto.register_encrypted(SocialAccount, "refresh_token_encrypted", "refresh_token")
