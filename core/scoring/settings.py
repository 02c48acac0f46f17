"""Scoring settings: weights per signal, group and per-day caps, half-life and hot thresholds.

Stored under `settings.scoring` of a workspace; every number is validated so a bad value is
refused with the field named (e.g. `settings.scoring.cool_threshold`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# Every signal, in the order they are explained. Negative signals lower the score.
SIGNALS = (
    "order",
    "dm_question",
    "message",
    "story",
    "intent",
    "comment",
    "reply",
    "mention",
    "repeat_posts",
    "hidden",
    "opt_out",
)
EVENT_SIGNALS = tuple(s for s in SIGNALS if s != "repeat_posts")
GROUPS: dict[str, tuple[str, ...]] = {
    "conversation": ("message", "story"),
    "intent": ("order", "dm_question", "intent"),
    "engagement": ("comment", "reply", "mention", "repeat_posts"),
    "negative": ("hidden", "opt_out"),
}
CAPPED_GROUPS = ("conversation", "intent", "engagement")
LABELS = {
    "order": "Asked to buy or order",
    "dm_question": "Buying questions in direct messages",
    "message": "Direct messages",
    "story": "Story replies and mentions",
    "intent": "Comments showing buying intent",
    "comment": "Comments",
    "reply": "Replies in threads",
    "mention": "@mentions",
    "repeat_posts": "Engagement across several posts",
    "hidden": "Hidden or spam comments",
    "opt_out": "Opt-outs",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _positive(default: float) -> float:
    return Field(default, ge=0, le=100)


def _negative(default: float) -> float:
    return Field(default, ge=-100, le=0)


class SignalWeights(_Strict):
    """Points per interaction (before decay).

    The defaults make a person hot (70) on an explicit request to buy or order, on a buying question in
    a DM, or on buying intent in two comments within 48 h; without intent, conversation and engagement
    together stay below 70, so compliments alone never do (tests/core/targets/test_personas.py).
    """

    order: float = _positive(75)
    dm_question: float = _positive(75)
    message: float = _positive(20)
    story: float = _positive(12)
    intent: float = _positive(40)
    comment: float = _positive(5)
    reply: float = _positive(4)
    mention: float = _positive(8)
    repeat_posts: float = _positive(6)
    hidden: float = _negative(-10)
    opt_out: float = _negative(-100)


class GroupCaps(_Strict):
    """The most points a group of signals can add."""

    conversation: float = Field(35, ge=0, le=100)
    intent: float = Field(80, ge=0, le=100)
    engagement: float = Field(30, ge=0, le=100)


def _daily(default: int) -> int:
    return Field(default, ge=1, le=100)


class DailyCaps(_Strict):
    """How many interactions of a signal count per day, so one burst cannot max the score."""

    order: int = _daily(2)
    dm_question: int = _daily(2)
    message: int = _daily(3)
    story: int = _daily(2)
    intent: int = _daily(3)
    comment: int = _daily(3)
    reply: int = _daily(3)
    mention: int = _daily(2)
    hidden: int = _daily(3)
    opt_out: int = _daily(1)


class ScoringSettings(_Strict):
    weights: SignalWeights = Field(default_factory=SignalWeights)
    group_caps: GroupCaps = Field(default_factory=GroupCaps)
    daily_caps: DailyCaps = Field(default_factory=DailyCaps)
    half_life_days: float = Field(7, ge=0.5, le=90, description="Days after which a signal counts half.")
    hot_threshold: int = Field(70, ge=1, le=100, description="A target becomes hot at this score or above.")
    cool_threshold: int = Field(60, ge=0, le=99, description="A hot target stops being hot only below this.")

    @field_validator("cool_threshold")
    @classmethod
    def _below_hot(cls, value: int, info: ValidationInfo) -> int:
        hot = info.data.get("hot_threshold")
        if hot is not None and value >= hot:
            raise ValueError(f"must be lower than hot_threshold ({hot})")
        return value
