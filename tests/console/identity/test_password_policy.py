"""Finding 6 of the security review: a password must be hard to guess, not only ten characters long.

Common and leaked passwords (zxcvbn's lists), repeats, sequences and keyboard rows, and passwords made
of the person's own name or email are refused with a sentence that says why, at sign-up and on change.
"""

from __future__ import annotations

import pytest

from core.db import db
from core.models import User
from tests.conftest import DEFAULT_PASSWORD

REFUSED = {
    "          ": "easy to guess",  # ten spaces
    "1234567890": "common or leaked",
    "password12": "common or leaked",
    "Password123!": "common or leaked",
    "qwertyuiop": "common or leaked",
    "aaaaaaaaaaaa": "Repeated characters",
    "abcdefghijk": "Repeated characters",
    "VistaFlow2026": "your name, your email or VistaFlow",
    "anasilva2026": "your name, your email or VistaFlow",
    "ana.silva@shop.example": "your name, your email or VistaFlow",
}


@pytest.mark.parametrize(("password", "reason"), REFUSED.items(), ids=range(len(REFUSED)))
def test_finding_6_sign_up_refuses_guessable_passwords_and_says_why(app, client, password, reason):
    answer = client.post(
        "/auth/register", json={"email": "ana.silva@shop.example", "password": password, "name": "Ana Silva"}
    )
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert set(error["fields"]) == {"password"}
    assert reason in error["fields"]["password"], error
    with app.app_context():
        assert db.session.query(User).filter_by(email="ana.silva@shop.example").count() == 0


def test_finding_6_a_strong_passphrase_is_accepted(client):
    answer = client.post(
        "/auth/register",
        json={"email": "ana.silva@shop.example", "password": "ochre-lantern-walrus", "name": "Ana Silva"},
    )
    assert answer.status_code == 201, answer.get_json()


def test_finding_6_a_password_change_is_held_to_the_same_policy(factory):
    user = factory.user(name="Tess Morgan")
    answer = user.post("/users/me/password", json={"current_password": DEFAULT_PASSWORD, "new_password": "password12"})
    assert answer.status_code == 422
    assert "common or leaked" in answer.get_json()["error"]["fields"]["new_password"]
    answer = user.post(
        "/users/me/password", json={"current_password": DEFAULT_PASSWORD, "new_password": "tessmorgan1999"}
    )
    assert "your name" in answer.get_json()["error"]["fields"]["new_password"]
    assert user.get("/users/me").status_code == 200  # nothing changed: the session still works


def test_finding_6_the_console_sign_up_form_shows_the_reason(client, console):
    page = console.post_form("/signup", {"email": "ana@shop.example", "name": "Ana", "password": "1234567890"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "common or leaked" in html
