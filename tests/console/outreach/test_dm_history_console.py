"""Issue 23, DM history: filtered by part of the person's username or name (not a numeric id), each
person a link to their page, and an answered DM shows what the person wrote back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.models import DirectMessage
from tests.factories import make_account, make_interaction, make_target


@pytest.fixture
def team(app, factory):
    team = factory.rivals()
    with app.app_context():
        account = make_account(team["ws"])
        sent = utcnow() - timedelta(hours=3)
        for username, name, answer in (("ana.bakes", "Ana Lopez", "Yes please, send the link!"), ("bob", "Bob", None)):
            target = make_target(account, username=username, display_name=name)
            make_interaction(target, kind="message", text="before our DM", occurred_at=sent - timedelta(hours=1))
            if answer:
                make_interaction(target, kind="message", text=answer, occurred_at=sent + timedelta(minutes=20))
            db.session.add(
                DirectMessage(
                    workspace_id=team["ws"],
                    social_account_id=account.id,
                    target_id=target.id,
                    kind="message",
                    text=f"Hello {username}",
                    status="sent",
                    sent_at=sent,
                    replied_at=sent + timedelta(minutes=20) if answer else None,
                )
            )
            team[username] = target.id
        db.session.commit()
    return team


def test_history_filters_by_person_and_shows_the_answer(team, console):
    console.login(team["owner"].email)
    ws = team["ws"]
    page = console.get(f"/w/{ws}/dm/history", query_string={"person": "lopez"}).get_data(as_text=True)
    assert "Hello ana.bakes" in page and "Hello bob" not in page
    assert f'href="/w/{ws}/targets/{team["ana.bakes"]}"' in page
    assert "Yes please, send the link!" in page and "before our DM" not in page
    everyone = console.get(f"/w/{ws}/dm/history").get_data(as_text=True)
    assert "Hello ana.bakes" in everyone and "Hello bob" in everyone


def test_the_api_filters_by_person_and_names_a_too_long_filter(team):
    owner, ws = team["owner"], team["ws"]
    found = owner.get(f"/dm/workspace/{ws}", query_string={"person": "@BOB"})
    assert [d["text"] for d in found.get_json()["items"]] == ["Hello bob"]
    too_long = owner.get(f"/dm/workspace/{ws}", query_string={"person": "x" * 201})
    assert too_long.status_code in (400, 422) and "person" in str(too_long.get_json())
