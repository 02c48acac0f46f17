"""What the team taught the reader: labels on interactions, and each workspace's retrained correction."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import BigIntPK, JSONType, UTCDateTime, db, utcnow


class LabelKind(enum.StrEnum):
    NOT_BUYER = "not_buyer"
    BUYER = "buyer"
    NOT_OPT_OUT = "not_opt_out"
    OPT_OUT = "opt_out"


class InteractionLabel(db.Model):
    """A person's reading of one interaction; the latest one counts (one row an interaction)."""

    __tablename__ = "interaction_labels"
    __table_args__ = (
        sa.UniqueConstraint("interaction_id", name="uq_interaction_labels_interaction"),
        sa.Index("ix_interaction_labels_workspace", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    interaction_id: Mapped[int] = mapped_column(sa.ForeignKey("interactions.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(sa.String(16))
    labelled_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReaderVersion(db.Model):
    """One retraining of a workspace's correction; exactly one version is active, or none (the shipped model)."""

    __tablename__ = "reader_versions"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "version", name="uq_reader_versions_workspace_version"),
        # At most one active version a workspace, whatever the number of workers retraining.
        sa.Index(
            "uq_reader_versions_active",
            "workspace_id",
            unique=True,
            postgresql_where=sa.text("is_active"),
            sqlite_where=sa.text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    labels: Mapped[int] = mapped_column(default=0)
    weights: Mapped[dict] = mapped_column(JSONType, default=dict)
    # F1 of the shipped model and of this version on the workspace's labels (cross-validated).
    quality: Mapped[dict] = mapped_column(JSONType, default=dict)
    is_active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
