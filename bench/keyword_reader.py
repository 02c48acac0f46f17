"""The keyword reader core.intent was before the learned model, kept as bench/intent.py's baseline.

A phrase list per language (bench/data/intent_keywords.json) matched on whole words after lower-casing and
removing accents and emoji, plus "any question mark is intent" and "stop in a short reply is an opt-out".
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

KEYWORDS_FILE = Path(__file__).parent / "data" / "intent_keywords.json"
LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Classification:
    has_intent: bool
    is_opt_out: bool
    reasons: list[str] = field(default_factory=list)


def normalise(text: str) -> str:
    """Lower-case, strip accents, turn emoji and punctuation (but '?') into spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    no_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = re.sub(r"[^\w?]+", " ", no_accents.lower())
    cleaned = cleaned.replace("_", " ").replace("?", " ? ")
    return " ".join(cleaned.split())


@dataclass(frozen=True)
class _Rules:
    intent: list[tuple[str, re.Pattern[str]]]
    question_reason: str
    opt_out: re.Pattern[str]
    opt_out_max_words: int


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    alternatives = sorted({normalise(p) for p in phrases if normalise(p)}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)")


@cache
def rules(path: Path = KEYWORDS_FILE) -> _Rules:
    data = json.loads(path.read_text(encoding="utf-8"))
    intent = [
        (group["reason"], _pattern([p for lang in LANGUAGES for p in group.get(lang, [])]))
        for group in data["intent"].values()
    ]
    opt = data["opt_out"]
    return _Rules(
        intent=intent,
        question_reason=data["question"]["reason"],
        opt_out=_pattern([p for lang in LANGUAGES for p in opt.get(lang, [])]),
        opt_out_max_words=int(opt.get("max_words", 6)),
    )


def classify(text: str | None, keyword_rules: _Rules | None = None) -> Classification:
    """Say whether a text shows buying intent (and why) or asks us to stop."""
    normalised = normalise(text or "")
    if not normalised:
        return Classification(False, False, [])
    r = keyword_rules or rules()
    words = [w for w in normalised.split() if w != "?"]
    # "stop" inside a long sentence ("can't stop loving it") is not an opt-out; a short reply is.
    is_opt_out = bool(r.opt_out.search(normalised)) and len(words) <= r.opt_out_max_words
    if is_opt_out:
        return Classification(False, True, [])
    reasons = [reason for reason, pattern in r.intent if pattern.search(normalised)]
    if "?" in normalised and not reasons:
        reasons.append(r.question_reason)
    return Classification(bool(reasons), False, reasons)
