"""Automations: rules that answer comments and messages by themselves, their message variants, and what each
comment triggered."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import BigIntPK, JSONType, UTCDateTime, db, utcnow


class AutomationMode(enum.StrEnum):
    AUTOMATIC = "automatic"  # the private reply is approved and queued at once
    REVIEW = "review"  # a draft waits in the approval queue


class TriggerOutcome(enum.StrEnum):
    QUEUED = "queued"  # an approved DM is on its way
    DRAFTED = "drafted"  # a draft waits for a person
    EXCLUDED = "excluded"  # the rule matched, an exclusion held it back
    INELIGIBLE = "ineligible"  # the rule matched, the platform's rules allow no DM now
    UNMATCHED = "unmatched"  # no active rule matched


class AutomationRule(db.Model):
    __tablename__ = "automation_rules"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "name", name="uq_automation_rules_workspace_name"),
        sa.Index("ix_automation_rules_workspace_priority", "workspace_id", "priority", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    # Lower runs first; a comment triggers at most one rule.
    priority: Mapped[int] = mapped_column(default=100)
    mode: Mapped[str] = mapped_column(sa.String(16), default=AutomationMode.REVIEW.value)
    active: Mapped[bool] = mapped_column(default=False)
    # Only what arrives after the rule was switched on can trigger it.
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # {"on": [...], "keywords": [...], "intent": bool, "minIntent": float|None, "minScore": int|None,
    #  "mediaIds": [...]|None}
    trigger: Mapped[dict] = mapped_column(JSONType, default=dict)
    # {"customers": bool, "leadStatuses": [...], "messagedWithinDays": int|None}
    exclusions: Mapped[dict] = mapped_column(JSONType, default=dict)
    public_replies: Mapped[list] = mapped_column(JSONType, default=list)
    # How many public replies went out: the next one is public_replies[turn % len], so texts rotate.
    public_reply_turn: Mapped[int] = mapped_column(default=0)
    create_lead: Mapped[bool] = mapped_column(default=False)
    # Post each DM the rule sends or drafts to the workspace's chats (alert kind "automation").
    chat_alert: Mapped[bool] = mapped_column(default=False)
    # A tag put on the person's lead (made if missing); None: no tag.
    lead_tag: Mapped[str | None] = mapped_column(sa.String(50))
    # Local "HH:MM" of the workspace's time zone; both None: all day.
    active_from: Mapped[str | None] = mapped_column(sa.String(5))
    active_until: Mapped[str | None] = mapped_column(sa.String(5))
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AutomationVariant(db.Model):
    """One message a rule may send; variants split the rule's triggers by weight (A/B/n)."""

    __tablename__ = "automation_variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("automation_rules.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(8))
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dm_templates.id", ondelete="SET NULL"))
    weight: Mapped[int] = mapped_column(default=50)
    paused: Mapped[bool] = mapped_column(default=False)
    # A variant taken out of a rule is kept for its figures, never chosen again.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AutomationTrigger(db.Model):
    """What one interaction did to the workspace's rules: at most one row an interaction, so at most one rule,
    and never twice for a duplicate webhook or a re-collection."""

    __tablename__ = "automation_triggers"
    __table_args__ = (
        sa.UniqueConstraint("interaction_id", name="uq_automation_triggers_interaction"),
        sa.Index("ix_automation_triggers_rule", "rule_id", "created_at"),
        sa.Index("ix_automation_triggers_dm", "dm_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int] = mapped_column(sa.ForeignKey("interactions.id", ondelete="CASCADE"))
    # SET NULL: a deleted rule's comments stay claimed, so another rule never answers them a second time.
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("automation_rules.id", ondelete="SET NULL"))
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("automation_variants.id", ondelete="SET NULL"))
    target_id: Mapped[int | None] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"))
    dm_id: Mapped[int | None] = mapped_column(sa.ForeignKey("direct_messages.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    public_reply_text: Mapped[str | None] = mapped_column(sa.Text)
    public_reply_id: Mapped[str | None] = mapped_column(sa.String(200))
    # Committed before the call to Instagram: a run that finds it set without an outcome never posts again.
    public_reply_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    public_reply_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
