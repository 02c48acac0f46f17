"""Texts as hashed n-grams: characters within words, characters across words ("le son ?" as a whole),
and words; no vocabulary to store, the same columns for every model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer

from core.intent.text import prepare

HASH_BITS = 18
SIZE = 3 * 2**HASH_BITS  # character n-grams within words, across words, then word n-grams

_CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(2, 5), n_features=2**HASH_BITS, alternate_sign=False, norm="l2"
)
_SPANS = HashingVectorizer(
    analyzer="char", ngram_range=(3, 6), n_features=2**HASH_BITS, alternate_sign=False, norm="l2"
)
# Words, "?" and "!" as tokens: "first ?" and "prix ?" differ by the word, not by the mark.
_WORDS = HashingVectorizer(
    analyzer="word",
    ngram_range=(1, 3),
    token_pattern=r"[^\s]+",
    n_features=2**HASH_BITS,
    alternate_sign=False,
    norm="l2",
)
_RAW_CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(2, 5), n_features=2**HASH_BITS, alternate_sign=False, norm=None
)
_RAW_SPANS = HashingVectorizer(
    analyzer="char", ngram_range=(3, 6), n_features=2**HASH_BITS, alternate_sign=False, norm=None
)
_RAW_WORDS = HashingVectorizer(
    analyzer="word", token_pattern=r"[^\s]+", n_features=2**HASH_BITS, alternate_sign=False, norm=None
)


def matrix(texts: Sequence[str | None]) -> sp.csr_matrix:
    """One row per text (prepared first), SIZE columns."""
    prepared = [prepare(t) for t in texts]
    return prepared_matrix(prepared)


# Our own texts into our own vectorizers: sklearn's checks of parameters and finite values are a fixed cost a
# call (a fifth of reading a page of 20 comments) that proves nothing here.
_TRUSTED = {"assume_finite": True, "skip_parameter_validation": True}


def prepared_matrix(prepared: Sequence[str]) -> sp.csr_matrix:
    with sklearn.config_context(**_TRUSTED):
        parts = [_CHARS.transform(prepared), _SPANS.transform(prepared), _WORDS.transform(prepared)]
    return sp.hstack(parts, format="csr")


def word_weights(words: Sequence[str], coef: np.ndarray) -> np.ndarray:
    """How much each word pushes the model alone: its n-grams' weights summed (for explanations only)."""
    if not words:
        return np.zeros(0)
    with sklearn.config_context(**_TRUSTED):
        parts = [_RAW_CHARS.transform(words), _RAW_SPANS.transform(words), _RAW_WORDS.transform(words)]
    by_word = sp.hstack(parts, format="csr")
    lengths = np.maximum(np.asarray(by_word.sum(axis=1)).ravel(), 1.0)
    return (by_word @ coef) / np.sqrt(lengths)
