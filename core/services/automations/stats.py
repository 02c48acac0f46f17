"""What each rule and each of its variants achieved: sent, replied within 72 h, became a lead, won; rates with
Wilson intervals, and whether one variant is really ahead (Fisher's exact test, 95%)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scipy.stats import binomtest, fisher_exact
from sqlalchemy import select

from core.db import db, utcnow
from core.models import AutomationRule, AutomationTrigger, AutomationVariant, DirectMessage, DmStatus, Lead, Workspace
from core.services.automations import rules
from core.services.identity.actors import Actor

REPLY_WITHIN = timedelta(hours=72)
CONFIDENCE = 0.95
# Below this many sends a variant's rate says little; the verdict waits for it.
MIN_SENT = 30
CHART_DAYS = 14


@dataclass
class Rate:
    count: int
    of: int

    @property
    def value(self) -> float | None:
        return self.count / self.of if self.of else None

    @property
    def interval(self) -> tuple[float, float] | None:
        if not self.of:
            return None
        ci = binomtest(self.count, self.of).proportion_ci(CONFIDENCE, method="wilson")
        return float(ci.low), float(ci.high)


@dataclass
class VariantStats:
    variant: AutomationVariant
    triggered: int = 0
    sent: int = 0
    replied: int = 0
    leads: int = 0
    won: int = 0

    @property
    def reply_rate(self) -> Rate:
        return Rate(self.replied, self.sent)

    @property
    def win_rate(self) -> Rate:
        return Rate(self.won, self.sent)


@dataclass
class Verdict:
    code: str  # "better", "no_difference", "not_enough_data", "single", "none"
    leader: str | None = None  # the leading variant's label
    p_value: float | None = None


@dataclass
class RuleStats:
    rule: AutomationRule
    variants: list[VariantStats]
    held: int
    by_day: list[tuple[date, int]] = field(default_factory=list)  # sends per local day, oldest first
    replies: Verdict = field(default_factory=lambda: Verdict("none"))
    wins: Verdict = field(default_factory=lambda: Verdict("none"))
    sent_today: int = 0
    replied_today: int = 0


def _verdict(variants: list[VariantStats], hits: str) -> Verdict:
    """Whether the variant with the best rate beats every other one at 95%: Fisher's exact test, two-sided (the
    leader was picked by looking), Bonferroni-corrected over the comparisons, once each has MIN_SENT sends."""
    tried = [v for v in variants if v.sent]
    if not tried:
        return Verdict("none")
    if len(tried) < 2:
        return Verdict("single")
    ranked = sorted(tried, key=lambda v: getattr(v, hits) / v.sent, reverse=True)
    leader = ranked[0]
    worst_p = 0.0
    for other in ranked[1:]:
        table = [
            [getattr(leader, hits), leader.sent - getattr(leader, hits)],
            [getattr(other, hits), other.sent - getattr(other, hits)],
        ]
        worst_p = max(worst_p, float(fisher_exact(table, alternative="two-sided").pvalue))
    worst_p = min(1.0, worst_p * (len(tried) - 1))
    if min(v.sent for v in tried) < MIN_SENT:
        return Verdict("not_enough_data", leader.variant.label, worst_p)
    if worst_p < 1 - CONFIDENCE:
        return Verdict("better", leader.variant.label, worst_p)
    return Verdict("no_difference", leader.variant.label, worst_p)


def of_rule(rule_id: int, *, actor: Actor, workspace_id: int | None = None, now: datetime | None = None) -> RuleStats:
    """The rule's figures from what was recorded: its triggers, their DMs and the leads of those people."""
    rule = rules.get(rule_id, actor=actor, workspace_id=workspace_id)
    return compute(rule, now=now)


def compute(rule: AutomationRule, *, now: datetime | None = None) -> RuleStats:
    """`of_rule` for a rule already loaded (the chat digest, jobs)."""
    now = now or utcnow()
    zone = ZoneInfo(db.session.get(Workspace, rule.workspace_id).time_zone)
    per_variant = {v.id: VariantStats(v) for v in rules.variants_of(rule.id, include_removed=True)}
    rows = db.session.execute(
        select(
            AutomationTrigger.variant_id,
            AutomationTrigger.created_at,
            DirectMessage.status,
            DirectMessage.sent_at,
            DirectMessage.replied_at,
            Lead.status,
            Lead.created_at,
        )
        .join(DirectMessage, DirectMessage.id == AutomationTrigger.dm_id)
        .outerjoin(Lead, Lead.target_id == AutomationTrigger.target_id)
        .where(AutomationTrigger.rule_id == rule.id)
    ).all()
    today = now.astimezone(zone).date()
    days = {today - timedelta(days=n): 0 for n in range(CHART_DAYS - 1, -1, -1)}
    stats = RuleStats(rule, [], held=0)
    for variant_id, triggered_at, status, sent_at, replied_at, lead_status, lead_at in rows:
        entry = per_variant.get(variant_id)
        if entry is None:
            continue
        entry.triggered += 1
        if status != DmStatus.SENT.value or sent_at is None:
            continue
        entry.sent += 1
        sent_day = sent_at.astimezone(zone).date()
        if sent_day in days:
            days[sent_day] += 1
        stats.sent_today += sent_day == today
        if replied_at is not None and replied_at - sent_at <= REPLY_WITHIN:
            entry.replied += 1
            stats.replied_today += replied_at.astimezone(zone).date() == today
        if lead_status is not None and lead_at >= triggered_at - timedelta(minutes=1):
            entry.leads += 1
            entry.won += lead_status == "won"
    stats.held = int(
        db.session.scalar(
            select(db.func.count())
            .select_from(AutomationTrigger)
            .where(AutomationTrigger.rule_id == rule.id, AutomationTrigger.dm_id.is_(None))
        )
        or 0
    )
    stats.variants = [v for v in per_variant.values() if v.variant.removed_at is None or v.triggered]
    stats.by_day = list(days.items())
    stats.replies = _verdict(stats.variants, "replied")
    stats.wins = _verdict(stats.variants, "won")
    return stats


def since(workspace_id: int, start: datetime) -> list[dict[str, int | str]]:
    """Per rule with activity since `start`: its name, DMs it sent and replies they got (the chat digest's lines)."""
    sent = db.func.count(DirectMessage.id).filter(DirectMessage.sent_at >= start)
    replied = db.func.count(DirectMessage.id).filter(DirectMessage.replied_at >= start)
    rows = db.session.execute(
        select(AutomationRule.name, sent, replied)
        .join(AutomationTrigger, AutomationTrigger.rule_id == AutomationRule.id)
        .join(DirectMessage, DirectMessage.id == AutomationTrigger.dm_id)
        .where(AutomationRule.workspace_id == workspace_id, AutomationTrigger.created_at >= start - REPLY_WITHIN)
        .group_by(AutomationRule.id, AutomationRule.name)
        .order_by(AutomationRule.name)
    ).all()
    return [{"name": name, "sent": s, "replied": r} for name, s, r in rows if s or r]
