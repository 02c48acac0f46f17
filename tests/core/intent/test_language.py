"""The language a person writes in: detected from their texts, stored, and set by the team."""

from __future__ import annotations

import pytest

from core.db import db
from core.intent.language import detect
from core.models import Target
from tests.factories import make_account, make_interaction, make_target


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Combien pour la bougie rose ?", "fr"),
        ("where can I buy this lovely candle", "en"),
        ("cuánto cuesta la vela grande", "es"),
        ("wie viel kostet die große Kerze", "de"),
        ("quanto costa la candela grande", "it"),
        ("quanto custa a vela grande", "pt"),
        ("🔥🔥🔥", None),
        ("ok", None),
        ("@julie_m", None),
    ],
)
def test_detect(text, language):
    assert detect(text) == language


def test_the_team_sets_a_language_and_can_go_back_to_detection(app, factory):
    team = factory.rivals()
    with app.app_context():
        person = make_target(make_account(team["ws"]))
        make_interaction(person, text="hola, cuánto cuesta el envío a Madrid?")
        target_id = person.id

    detected = team["owner"].get(f"/targets/{target_id}")
    assert detected.status_code == 200

    set_it = team["owner"].post(f"/targets/{target_id}/language", json={"language": "pt"})
    assert set_it.status_code == 200 and set_it.get_json()["language"] == "pt"
    assert set_it.get_json()["language_set"] is True
    back = team["owner"].post(f"/targets/{target_id}/language", json={"language": None}).get_json()
    assert back["language"] == "es" and back["language_set"] is False

    assert team["owner"].post(f"/targets/{target_id}/language", json={"language": "nl"}).status_code == 422
    assert team["stranger"].post(f"/targets/{target_id}/language", json={"language": "fr"}).status_code == 404
    with app.app_context():
        assert db.session.get(Target, target_id).language == "es"
