"""Whether a rule fires for one interaction, and which variant it sends: the same reading for the live pass
and the dry run, so the dry run tells what the rule then does."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import db
from core.intent import classify
from core.models import (
    AutomationRule,
    AutomationVariant,
    DirectMessage,
    DmStatus,
    Interaction,
    Lead,
    LeadStatus,
    Target,
    TriggerOutcome,
    Workspace,
)
from core.services.automations.spec import KINDS_OF
from core.services.privacy import contact_policy
from core.services.reading import versions


def fold(text: str) -> str:
    """Lower case without accents, so "PRIX", "prix" and "príx" read the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=512)
def _pattern(keyword: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in fold(keyword).split()]
    # Whole words: "prix" is not found in "surprix"; spaces inside a keyword match any spacing.
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def keyword_in(text: str | None, keywords: list[str]) -> str | None:
    """The first of `keywords` that `text` holds as whole words (accents and case ignored)."""
    folded = fold(text or "")
    return next((k for k in keywords if _pattern(k).search(folded)), None)


def kinds_of(rule: AutomationRule) -> set[str]:
    return {kind for on in rule.trigger.get("on") or ["comment"] for kind in KINDS_OF[on]}


def within_hours(rule: AutomationRule, workspace: Workspace, when: datetime) -> bool:
    """Whether `when` falls in the rule's active hours (in the workspace's time zone); a span may cross midnight."""
    if not rule.active_from or not rule.active_until:
        return True
    local = when.astimezone(ZoneInfo(workspace.time_zone)).time()
    start, end = time.fromisoformat(rule.active_from), time.fromisoformat(rule.active_until)
    return start <= local < end if start < end else local >= start or local < end


def choose(rule: AutomationRule, variants: list[AutomationVariant], interaction_id: int) -> AutomationVariant | None:
    """The variant by weight among the running ones, drawn from a hash of the rule and the interaction:
    the same comment always gets the same variant, in the dry run and live."""
    running = [v for v in variants if not v.paused and v.removed_at is None]
    if not running:
        return None
    digest = hashlib.sha256(f"{rule.id}:{interaction_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * sum(v.weight for v in running)
    for variant in running:
        point -= variant.weight
        if point < 0:
            return variant
    return running[-1]


@dataclass
class Verdict:
    matched: bool
    outcome: str | None = None  # TriggerOutcome when matched and held back; None when it may act
    reason: str | None = None  # a code of wording.REASONS, "code:value" when it carries one
    because: str | None = None  # what matched, as a code: "keyword:prix", "intent", "score:60", "any"


def _after_switch_on(rule: AutomationRule, interaction: Interaction) -> bool:
    start = rule.activated_at
    if start is None:
        return False
    return interaction.received_at >= start and interaction.occurred_at >= start - SWITCH_ON_GRACE


def _content(rule: AutomationRule, interaction: Interaction, target: Target) -> str | None:
    """What in the interaction fires the rule, or None."""
    trigger = rule.trigger
    keywords, wants_intent = trigger.get("keywords") or [], trigger.get("intent")
    because = None
    if keywords or wants_intent:
        keyword = keyword_in(interaction.text, keywords) if keywords else None
        if keyword:
            because = f"keyword:{keyword}"
        elif wants_intent and _shows_intent(rule, interaction):
            because = "intent"
        else:
            return None
    min_score = trigger.get("minScore")
    if min_score is not None:
        if (target.score or 0) < min_score:
            return None
        because = because or f"score:{min_score}"
    return because or "any"


def _shows_intent(rule: AutomationRule, interaction: Interaction) -> bool:
    threshold = rule.trigger.get("minIntent")
    if threshold is None:
        return bool(interaction.has_intent)
    reading = classify(interaction.text or "", versions.adjustment_for(interaction.workspace_id))
    return reading.intent_probability >= threshold


def _excluded(rule: AutomationRule, target: Target, now: datetime) -> str | None:
    if target.opted_out_at is not None or contact_policy.is_blocked(
        target.workspace_id, target.platform, target.platform_user_id
    ):
        return "opted_out"
    exclude = rule.exclusions
    lead = db.session.scalar(select(Lead).where(Lead.target_id == target.id))
    if lead is not None and exclude.get("customers") and lead.status == LeadStatus.WON.value:
        return "customer"
    if lead is not None and lead.status in (exclude.get("leadStatuses") or []):
        return f"lead_status:{lead.status}"
    days = exclude.get("messagedWithinDays")
    if days:
        recent = db.session.scalar(
            select(DirectMessage.id)
            .where(
                DirectMessage.target_id == target.id,
                DirectMessage.status == DmStatus.SENT.value,
                DirectMessage.sent_at >= now - timedelta(days=days),
            )
            .limit(1)
        )
        if recent is not None:
            return f"messaged:{days}"
    return None


# A comment made in the minutes before a rule was switched on still counts (webhook times are whole seconds);
# a backlog of older ones a first collection brings in does not.
SWITCH_ON_GRACE = timedelta(minutes=5)


def judge(
    rule: AutomationRule,
    workspace: Workspace,
    interaction: Interaction,
    target: Target,
    now: datetime,
    *,
    live: bool = True,
) -> Verdict:
    """Whether `rule` fires for `interaction`, and if it is held back, why (the rule's own conditions only; the
    platform's rules are checked when acting). `live` False (the dry run) ignores when the rule was switched on."""
    if interaction.kind not in kinds_of(rule):
        return Verdict(False)
    if live and not _after_switch_on(rule, interaction):
        return Verdict(False)
    media = rule.trigger.get("mediaIds")
    if media and interaction.media_id not in media:
        return Verdict(False)
    if not within_hours(rule, workspace, interaction.received_at):
        return Verdict(False)
    because = _content(rule, interaction, target)
    if because is None:
        return Verdict(False)
    held = _excluded(rule, target, now)
    if held:
        return Verdict(True, TriggerOutcome.EXCLUDED.value, held, because)
    return Verdict(True, because=because)
