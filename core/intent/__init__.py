"""Reading buying intent and opt-outs in comments and messages, in six languages, with reasons in words.

A linear model over character and word n-grams (core/data/intent/model.npz), trained from the
labelled corpus in core/data/intent by `python -m core.intent.train`. A workspace may add its own
correction (core.intent.adjustment), learned from the labels its team gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.intent import features
from core.intent.adjustment import Adjustment
from core.intent.explain import reason_for
from core.intent.model import Model, shipped
from core.intent.text import prepare

__all__ = ["Classification", "classify", "classify_many", "prepare"]


@dataclass(frozen=True)
class Classification:
    has_intent: bool
    is_opt_out: bool
    reasons: list[str] = field(default_factory=list)
    intent_probability: float = 0.0
    opt_out_probability: float = 0.0


# Two readings of one text can both pass their thresholds ("DM me" reads as a buyer and, a little, as
# "don't message me"): an unsure opt-out yields to a clearly surer buying reading; a sure one always wins.
SURE_OPT_OUT = 0.8
CLEARLY_SURER = 0.1


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def classify(text: str | None, adjustment: Adjustment | None = None) -> Classification:
    """Say whether a text shows buying intent (and why, quoting it) or asks us to stop."""
    return classify_many([text], adjustment)[0]


def classify_many(
    texts: Sequence[str | None], adjustment: Adjustment | None = None, model: Model | None = None
) -> list[Classification]:
    """classify() for a batch, in one pass of the model (what ingest uses)."""
    model = model or shipped()
    prepared = [prepare(t) for t in texts]
    if not prepared:
        return []
    matrix = features.prepared_matrix(prepared)
    logits = model.logits(matrix)
    intent, opt_out = logits[:, 0], logits[:, 1]
    if adjustment and adjustment.intent:
        intent = adjustment.intent.apply(intent, matrix)
    if adjustment and adjustment.opt_out:
        opt_out = adjustment.opt_out.apply(opt_out, matrix)
    p_intent, p_opt_out = _sigmoid(intent), _sigmoid(opt_out)
    # A sure opt-out wins over everything ("don't message me again, what's the price" is a no); an unsure one
    # yields to a clearly surer buying reading.
    empty = np.array([not p for p in prepared])
    opted_out = ~empty & (p_opt_out >= model.opt_out_threshold)
    opted_out &= (p_opt_out >= SURE_OPT_OUT) | (p_intent < p_opt_out + CLEARLY_SURER)
    buying = ~empty & ~opted_out & (p_intent >= model.intent_threshold)
    positives = np.flatnonzero(buying)
    kinds = dict(zip(positives.tolist(), model.kinds_of(matrix[positives]), strict=True))
    results = []
    for i, text in enumerate(texts):
        if empty[i]:
            results.append(Classification(False, False))
            continue
        reasons = [reason_for(model, kinds[i], text or "", adjustment)] if buying[i] else []
        results.append(
            Classification(bool(buying[i]), bool(opted_out[i]), reasons, float(p_intent[i]), float(p_opt_out[i]))
        )
    return results
