"""Calibrating the score on outcomes: who replied to a DM within 72 h, and who was won.

Pure functions over observations (the score's signals at the moment of the outcome's start, and what
happened), so the service, the page and bench/calibration.py share them. scikit-learn fits a logistic
regression of the outcome on each signal's decayed interaction count (the breakdown divided by its
weight): its coefficients, rescaled to the current weights' total, are the suggested weights. An
isotonic regression of the outcome on the score gives "likely to reply: 4 in 10".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from core.scoring.settings import SIGNALS, ScoringSettings

# Enough outcomes to fit: below these, the page shows the rates only and suggests nothing.
MIN_REPLY_OUTCOMES = 200
MIN_WIN_OUTCOMES = 50
MIN_PER_CLASS = 20
MIN_WIN_PER_CLASS = 10
REPLY_WINDOW_HOURS = 72
BANDS = ((0, 39), (40, 59), (60, 69), (70, 84), (85, 100))
NEGATIVE = ("hidden", "opt_out")


@dataclass(frozen=True)
class Observation:
    """One outcome: the score and its breakdown when it started, whether it succeeded."""

    breakdown: dict[str, float]
    score: int
    hot: bool
    success: bool


@dataclass
class Rate:
    label: str
    n: int
    successes: int
    rate: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "n": self.n,
            "successes": self.successes,
            "rate": self.rate,
            "ci95": [self.low, self.high] if self.n else None,
        }


@dataclass
class Fit:
    enough: bool
    needed: int
    have: int
    suggested_weights: dict[str, float] = field(default_factory=dict)
    curve: list[list[float]] = field(default_factory=list)  # [score, probability] steps


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """The Wilson 95% interval of a rate (sound with few outcomes, never outside 0..1)."""
    if n == 0:
        return None, None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def rate(label: str, rows: Sequence[Observation]) -> Rate:
    n, k = len(rows), sum(1 for r in rows if r.success)
    low, high = wilson(k, n)
    return Rate(label, n, k, round(k / n, 4) if n else None, low, high)


def hot_rates(rows: Sequence[Observation]) -> list[Rate]:
    return [rate("hot", [r for r in rows if r.hot]), rate("not hot", [r for r in rows if not r.hot])]


def band_rates(rows: Sequence[Observation]) -> list[Rate]:
    return [rate(f"{lo}-{hi}", [r for r in rows if lo <= r.score <= hi]) for lo, hi in BANDS]


def enough(rows: Sequence[Observation], minimum: int, per_class: int) -> bool:
    wins = sum(1 for r in rows if r.success)
    return len(rows) >= minimum and wins >= per_class and len(rows) - wins >= per_class


def features(rows: Sequence[Observation], settings: ScoringSettings) -> np.ndarray:
    """Per observation, each signal's decayed interaction count (points / weight; 0 for a 0 weight)."""
    weights = [float(getattr(settings.weights, s)) for s in SIGNALS]
    return np.array(
        [[(r.breakdown.get(s, 0.0) / w) if w else 0.0 for s, w in zip(SIGNALS, weights, strict=True)] for r in rows]
    )


def suggest_weights(rows: Sequence[Observation], settings: ScoringSettings) -> dict[str, float]:
    """Weights in points from a logistic regression, scaled so positive ones total what they do now."""
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(features(rows, settings), np.array([r.success for r in rows], dtype=int))
    coefs = dict(zip(SIGNALS, model.coef_[0].tolist(), strict=True))
    current = {s: float(getattr(settings.weights, s)) for s in SIGNALS}
    positive_now = sum(v for s, v in current.items() if s not in NEGATIVE) or 1.0
    positive_fit = sum(max(0.0, c) for s, c in coefs.items() if s not in NEGATIVE) or 1.0
    scale = positive_now / positive_fit
    suggested = {}
    for s in SIGNALS:
        if s in NEGATIVE:
            # Too few hidden or opted-out people ever get a DM to learn from: keep the team's choice.
            suggested[s] = current[s]
        else:
            suggested[s] = round(min(100.0, max(0.0, coefs[s] * scale)), 1)
    return suggested


def reply_curve(rows: Sequence[Observation]) -> list[list[float]]:
    """Score -> probability of success as isotonic steps (non-decreasing in the score)."""
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(np.array([r.score for r in rows], dtype=float), np.array([r.success for r in rows], dtype=float))
    xs = [float(x) for x in iso.X_thresholds_]
    ys = [float(y) for y in iso.y_thresholds_]
    return [[x, round(y, 4)] for x, y in zip(xs, ys, strict=True)]


def probability(curve: Sequence[Sequence[float]], score: int) -> float | None:
    """Interpolate the stored curve at `score` (None without a curve)."""
    if not curve:
        return None
    xs = [c[0] for c in curve]
    ys = [c[1] for c in curve]
    return float(np.interp(score, xs, ys))


def in_ten(p: float | None) -> int | None:
    """ "4 in 10": the probability said the way people read it."""
    return None if p is None else max(0, min(10, round(p * 10)))


def fit(rows: Sequence[Observation], settings: ScoringSettings, *, minimum: int, per_class: int) -> Fit:
    """Suggested weights and the score->probability curve once there are enough outcomes of both kinds."""
    if not enough(rows, minimum, per_class):
        return Fit(False, minimum, len(rows))
    return Fit(True, minimum, len(rows), suggest_weights(rows, settings), reply_curve(rows))
