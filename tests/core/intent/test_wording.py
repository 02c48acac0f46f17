"""Stored reasons said again in the reader's language."""

from __future__ import annotations

import pytest

from core.intent import wording


@pytest.mark.parametrize(
    ("stored", "french"),
    [
        ("asked for the price: “cb le coffret ?”", "a demandé le prix : « cb le coffret ? »"),
        ("said they want it: “je prends”", "veut l\u2019acheter : « je prends »"),
        ("asked for the price", "a demandé le prix"),
        ("3 comments in 48 h", "3 commentaires en 48 h"),
        ("1 message", "1 message"),
        ("engaged on 4 posts", "a réagi à 4 publications"),
        ("something new", "something new"),
        (None, ""),
    ],
)
def test_reasons_in_french(stored, french):
    assert wording.in_locale(stored, "fr") == french


def test_reasons_stay_as_stored_in_english():
    assert wording.in_locale("asked for the price: “how much?”", "en") == "asked for the price: “how much?”"
