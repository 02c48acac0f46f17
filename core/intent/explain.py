"""A positive's reason in words, quoting what the person wrote: 'asked for the price: “cb le coffret ?”'.

Stored in English (interactions.intent_reason, 100 characters); core.intent.wording says it in the
reader's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from core.intent import features
from core.intent.text import prepare

if TYPE_CHECKING:
    from core.intent.adjustment import Adjustment
    from core.intent.model import Model

# One phrase per intent kind; "asked where to buy" and "said they want it" are what
# core.scoring.formula.ORDER_REASONS counts as a request to buy.
PHRASES = {
    "price": "asked for the price",
    "link": "asked for a link",
    "where_to_buy": "asked where to buy",
    "availability": "asked about availability",
    "shipping": "asked about delivery",
    "booking": "asked to book",
    "commitment": "said they want it",
    "private_message": "asked for a private message",
    "information": "asked for information",
}
GENERIC = "showed buying intent"
REASON_LENGTH = 100
SEPARATOR = ": “"


def _coef(model: Model, adjustment: Adjustment | None) -> np.ndarray:
    coef = model.intent_coef
    if adjustment and adjustment.intent:
        coef = coef * adjustment.intent.scale
        coef[adjustment.intent.columns] += adjustment.intent.weights
    return coef


def _quote(model: Model, text: str, room: int, adjustment: Adjustment | None) -> str:
    """The text, or when it is too long the run of its words that weighs most towards buying."""
    flat = " ".join(text.split())
    if len(flat) <= room:
        return flat
    tokens = flat.split(" ")
    weights = np.maximum(features.word_weights([prepare(t) or "_" for t in tokens], _coef(model, adjustment)), 0)
    best, best_weight, start, length, weight = (0, 0), -1.0, 0, -1, 0.0
    for end, token in enumerate(tokens):
        length += len(token) + 1
        weight += weights[end]
        while length > room - 2 and start < end:
            length -= len(tokens[start]) + 1
            weight -= weights[start]
            start += 1
        if weight > best_weight + 1e-9:
            best, best_weight = (start, end), weight
    first, last = best
    window = " ".join(tokens[first : last + 1])[: room - 2]
    return ("…" if first else "") + window + ("…" if last < len(tokens) - 1 else "")


def reason_for(model: Model, kind: str, text: str, adjustment: Adjustment | None = None) -> str:
    phrase = PHRASES.get(kind, GENERIC)
    room = REASON_LENGTH - len(phrase) - len(SEPARATOR) - 1
    return f"{phrase}{SEPARATOR}{_quote(model, text, room, adjustment)}”"
