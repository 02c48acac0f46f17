"""Calibration benchmark: a simulated workspace (personas with known reply probabilities, 50,000 people
over 90 days); the area under the ROC curve of who replies within 72 h, ranked by the default score and
by the score with weights calibrated on outcomes, in the same run.

Half of the people (the outcomes a workspace already has) fit the weights
(core.scoring.calibration.suggest_weights); the other half (held out) is ranked both ways.

    .venv/bin/python bench/calibration.py [--people 50000] [--seed 26]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.metrics import roc_auc_score

from core.scoring import calibration as calib
from core.scoring import formula
from core.scoring.settings import ScoringSettings

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DAYS = 90
ORDER = "asked where to buy"
PRICE = "asked for the price"

# (share of people, P(reply within 72 h), what they do: (kind, has_intent, reason, hidden) per interaction)
PERSONAS = {
    "clear buyer": (0.04, 0.65, [("comment", True, ORDER, False)]),
    "dm question": (0.05, 0.55, [("message", True, PRICE, False)]),
    "story fan who asks": (0.06, 0.45, [("story_reply", False, None, False)] * 2 + [("comment", True, PRICE, False)]),
    "keen asker": (0.06, 0.35, [("comment", True, PRICE, False)] * 2),
    "one-off question": (0.15, 0.15, [("comment", True, PRICE, False)]),
    "chatty fan": (0.14, 0.10, [("message", False, None, False)] * 3 + [("comment", False, None, False)] * 3),
    "repeat fan": (0.30, 0.06, [("comment", False, None, False)] * 6 + [("mention", False, None, False)]),
    "complainer": (0.12, 0.04, [("comment", False, None, False)] * 2 + [("comment", False, None, True)]),
    "spammer": (0.08, 0.01, [("comment", False, None, True)] * 5),
}


def simulate(people: int, seed: int) -> list[tuple[list[formula.Fact], datetime, bool]]:
    """Each person: interactions spread over the 90 days, a DM sent after the last one, the reply drawn."""
    rng = random.Random(seed)
    names = list(PERSONAS)
    shares = [PERSONAS[n][0] for n in names]
    out = []
    for _ in range(people):
        _share, p, pattern = PERSONAS[rng.choices(names, shares)[0]]
        sent = NOW - timedelta(days=rng.uniform(3, DAYS))
        facts = []
        for kind, intent, reason, hidden in pattern:
            at = sent - timedelta(hours=rng.uniform(0.5, 60))
            media = f"m{rng.randint(1, 8)}" if kind != "message" else None
            facts.append(formula.Fact(kind, at, intent, False, hidden, media, reason))
        out.append((facts, sent, rng.random() < p))
    return out


def observe(people, settings: ScoringSettings) -> list[calib.Observation]:
    rows = []
    for facts, sent, replied in people:
        scored = formula.compute(facts, settings, sent)
        rows.append(
            calib.Observation(
                scored.breakdown, scored.score, formula.is_hot_after(scored.score, False, settings), replied
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=26)
    args = parser.parse_args()
    started = time.perf_counter()
    people = simulate(args.people, args.seed)
    train, test = people[: len(people) // 2], people[len(people) // 2 :]
    default = ScoringSettings()
    fit_rows = observe(train, default)
    suggested = calib.suggest_weights(fit_rows, default)
    calibrated = ScoringSettings.model_validate(default.model_dump() | {"weights": suggested})
    y = [replied for _, _, replied in test]
    auc_default = roc_auc_score(y, [r.score for r in observe(test, default)])
    auc_calibrated = roc_auc_score(y, [r.score for r in observe(test, calibrated)])
    replies = sum(y)
    print(f"people {args.people:,} over {DAYS} days, seed {args.seed}; held out {len(test):,}, {replies:,} replied")
    print(f"AUC default weights    : {auc_default:.3f}")
    gain, ratio = auc_calibrated - auc_default, auc_calibrated / auc_default
    print(f"AUC calibrated weights : {auc_calibrated:.3f}  ({gain:+.3f}, ratio {ratio:.3f})")
    print("suggested weights      : " + ", ".join(f"{k} {v:g}" for k, v in suggested.items()))
    print(f"time {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
