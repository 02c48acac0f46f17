"""Buying intent and opt-out detection in English and French."""

from __future__ import annotations

import json

import pytest

from core import intent


@pytest.mark.parametrize(
    "text, reason",
    [
        ("How much is it?", "asked for the price"),
        ("Combien ça coûte ?? 😍", "asked for the price"),
        ("PRIX svp", "asked for the price"),
        ("link please", "asked for a link"),
        ("le lien stp 🙏", "asked for a link"),
        ("where can I buy this", "asked where to buy"),
        ("Où acheter ?", "asked where to buy"),
        ("dm me", "asked for a private message"),
        ("en mp svp", "asked for a private message"),
        ("info", "asked for information"),
        ("dispo en 38 ?", "asked about availability"),
        ("nice pic?", "asked a question"),
    ],
)
def test_intent_in_both_languages(text, reason):
    result = intent.classify(text)
    assert result.has_intent and not result.is_opt_out
    assert reason in result.reasons


@pytest.mark.parametrize("text", ["love this", "Great 🔥🔥", "", None, "priceless moment"])
def test_no_intent(text):
    assert intent.classify(text).has_intent is False


@pytest.mark.parametrize("text", ["STOP", "Stop please", "arrête", "Arrêtez !", "unsubscribe", "pas intéressé"])
def test_opt_out(text):
    result = intent.classify(text)
    assert result.is_opt_out and not result.has_intent


def test_stop_inside_a_long_sentence_is_not_an_opt_out():
    assert not intent.classify("I can't stop watching this video, it is so good").is_opt_out


def test_normalise_strips_case_accents_and_emoji():
    assert intent.normalise("Où ACHETER ça ?? 😍🔥") == "ou acheter ca ? ?"


def test_keywords_are_data_and_can_grow(tmp_path):
    data = json.loads(intent.KEYWORDS_FILE.read_text())
    data["intent"]["price"]["fr"].append("quel montant")
    extended = tmp_path / "kw.json"
    extended.write_text(json.dumps(data))
    assert "asked for the price" not in intent.classify("quel montant").reasons
    assert "asked for the price" in intent.classify("quel montant", intent.rules(extended)).reasons
