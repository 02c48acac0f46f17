"""The text a model reads: lower-case, no accents, links and @mentions as one word, long repeats shortened."""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@[\w.]+")
_REPEAT = re.compile(r"(.)\1{2,}")  # "combiennn", "plzzzz", "!!!!" keep two of the letter
_DIGITS = re.compile(r"\d+")
_PUNCTUATION = re.compile(r"([?!.,;:()\"“”«»¿¡])")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def prepare(text: str | None) -> str:
    """The form both training and reading see; emoji stay, they carry meaning ("💰", "😍")."""
    cleaned = strip_accents(text or "").lower().replace("\u2019", "'")
    cleaned = _URL.sub(" url ", cleaned)
    cleaned = _MENTION.sub(" @user ", cleaned)
    cleaned = _REPEAT.sub(r"\1\1", cleaned)
    cleaned = _DIGITS.sub("0", cleaned)
    cleaned = _PUNCTUATION.sub(r" \1 ", cleaned)
    return " ".join(cleaned.split())
