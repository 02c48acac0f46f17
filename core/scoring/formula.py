"""The score in plain Python: the reference the SQL rescore must match, and the settings preview.

score = min(100, sum over groups of min(group cap, sum of weight x 0.5^(age / half_life))), never
below 0. Within one UTC day at most `daily_caps[signal]` interactions of a signal count (the day's
decayed sum is scaled to that many). `repeat_posts` adds, for every post engaged with beyond the
most recent one, its weight decayed by the age of the latest engagement on that post.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from core.scoring.settings import CAPPED_GROUPS, EVENT_SIGNALS, GROUPS, SIGNALS, ScoringSettings

DAY = 86400.0
OPT_OUT_KINDS = ("message", "story_reply", "reply")  # where "stop" is addressed to us (as at ingest)
ENGAGEMENT_SIGNALS = ("order", "intent", "comment", "reply", "mention")
INTENT_SIGNALS = ("order", "dm_question", "intent")
# Stored intent reasons (core.intent's first reason) that are a request to buy rather than a question:
# the keyword reader's "asked where to buy" (buy, order, acheter...) and the learned one's "said they want it".
ORDER_REASONS = ("asked where to buy", "said they want it")


def is_order(intent_reason: str | None) -> bool:
    return bool(intent_reason) and intent_reason.startswith(ORDER_REASONS)


@dataclass(frozen=True)
class Fact:
    """One interaction as scoring sees it."""

    kind: str
    occurred_at: datetime
    has_intent: bool = False
    is_opt_out: bool = False
    is_hidden: bool = False
    media_id: str | None = None
    intent_reason: str | None = None


@dataclass
class Score:
    score: int
    breakdown: dict[str, float]
    total: float
    counts: dict[str, int] = field(default_factory=dict)
    recent: dict[str, int] = field(default_factory=dict)
    posts: int = 0


def signal_of(kind: str, has_intent: bool, is_opt_out: bool, is_hidden: bool, intent_reason: str | None = None) -> str:
    """The one signal an interaction counts for (the SQL CASE says the same, in the same order)."""
    if is_opt_out and kind in OPT_OUT_KINDS:
        return "opt_out"
    if is_hidden:
        return "hidden"
    if has_intent and is_order(intent_reason):
        return "order"
    if has_intent and kind == "message":
        return "dm_question"
    if kind == "message":
        return "message"
    if kind in ("story_reply", "story_mention"):
        return "story"
    if has_intent:
        return "intent"
    if kind in ("reply", "mention"):
        return kind
    return "comment"


def decay(age_seconds: float, half_life_days: float) -> float:
    return 0.5 ** (max(0.0, age_seconds) / (half_life_days * DAY))


def round_score(total: float) -> int:
    return math.floor(min(100.0, max(0.0, total)) + 0.5)


def compute(facts: Iterable[Fact], settings: ScoringSettings, now: datetime) -> Score:
    """Score one person's interactions at `now`."""
    now_ts = now.timestamp()
    days: dict[tuple[str, int], list[float]] = {}
    posts: dict[str, float] = {}
    counts = dict.fromkeys(EVENT_SIGNALS, 0)
    recent = dict.fromkeys(EVENT_SIGNALS, 0)
    for fact in facts:
        ts = fact.occurred_at.timestamp()
        sig = signal_of(fact.kind, fact.has_intent, fact.is_opt_out, fact.is_hidden, fact.intent_reason)
        bucket = days.setdefault((sig, math.floor(ts / DAY)), [0, 0.0])
        bucket[0] += 1
        bucket[1] += decay(now_ts - ts, settings.half_life_days)
        counts[sig] += 1
        recent[sig] += ts >= now_ts - 2 * DAY
        if sig in ENGAGEMENT_SIGNALS and fact.media_id is not None:
            posts[fact.media_id] = max(posts.get(fact.media_id, ts), ts)

    weights, daily = settings.weights, settings.daily_caps
    raw = dict.fromkeys(SIGNALS, 0.0)
    for (sig, _day), (n, d) in days.items():
        raw[sig] += getattr(weights, sig) * d * min(n, getattr(daily, sig)) / n
    if posts:
        post_decays = [decay(now_ts - ts, settings.half_life_days) for ts in posts.values()]
        raw["repeat_posts"] = weights.repeat_posts * (sum(post_decays) - max(post_decays))

    breakdown: dict[str, float] = {}
    total = 0.0
    for group, members in GROUPS.items():
        group_total = sum(raw[s] for s in members)
        cap = getattr(settings.group_caps, group) if group in CAPPED_GROUPS else None
        scale = cap / group_total if cap is not None and group_total > cap else 1.0
        for s in members:
            breakdown[s] = raw[s] * scale
        total += group_total * scale
    return Score(
        score=round_score(total),
        breakdown={s: round(breakdown[s], 1) for s in SIGNALS},
        total=total,
        counts=counts,
        recent=recent,
        posts=len(posts),
    )


def is_hot_after(score: int, was_hot: bool, settings: ScoringSettings) -> bool:
    """Hysteresis: hot at >= hot_threshold; stays hot until the score drops below cool_threshold."""
    if score >= settings.hot_threshold:
        return True
    if score < settings.cool_threshold:
        return False
    return was_hot
