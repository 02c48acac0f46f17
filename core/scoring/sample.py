"""A made-up person scored with given settings: the scoring settings page's live preview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.db import utcnow
from core.scoring import formula
from core.scoring.settings import EVENT_SIGNALS, ScoringSettings

# A sample signal -> the interaction kind the preview builds for it.
SAMPLE_KINDS = {
    "order": "comment",
    "dm_question": "message",
    "message": "message",
    "story": "story_reply",
    "intent": "comment",
    "comment": "comment",
    "reply": "reply",
    "mention": "mention",
    "hidden": "comment",
    "opt_out": "message",
}
MAX_COUNT = 50
MAX_AGE_DAYS = 365.0


@dataclass
class SampleRow:
    signal: str
    count: int
    age: float  # days ago


@dataclass
class Sample:
    score: formula.Score
    hot: bool
    rows: list[SampleRow]


def rows_from(values: dict[str, tuple[int | None, float | None]]) -> list[SampleRow]:
    """One row per event signal from (count, age in days) pairs, missing ones 0, each kept in range."""
    rows = []
    for signal in EVENT_SIGNALS:
        count, age = values.get(signal, (None, None))
        rows.append(SampleRow(signal, max(0, min(MAX_COUNT, count or 0)), max(0.0, min(MAX_AGE_DAYS, age or 0.0))))
    return rows


def score(rows: list[SampleRow], settings: ScoringSettings, now: datetime | None = None) -> Sample:
    """Score `count` interactions of each signal made `age` days ago, as the rescore would."""
    now = now or utcnow()
    facts = [
        formula.Fact(
            kind=SAMPLE_KINDS[row.signal],
            occurred_at=now - timedelta(days=row.age, minutes=n),
            has_intent=row.signal in formula.INTENT_SIGNALS,
            intent_reason=formula.ORDER_REASONS[0] if row.signal == "order" else None,
            is_opt_out=row.signal == "opt_out",
            is_hidden=row.signal == "hidden",
            media_id=f"post-{n}" if row.signal in formula.ENGAGEMENT_SIGNALS else None,
        )
        for row in rows
        for n in range(row.count)
    ]
    result = formula.compute(facts, settings, now)
    return Sample(result, formula.is_hot_after(result.score, False, settings), rows)
