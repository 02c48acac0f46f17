"""Issue 26: the "Scoring quality" page shows reply and win rates, hot against not hot and per score
band, with counts and intervals, the suggested weights beside the current ones, and lets only the
owner apply them and undo it (audited by the service); another workspace's page is not found."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry, Workspace
from core.services.workspaces.settings import read as read_settings
from tests.calibration_history import outcome_history


@pytest.fixture
def shop(app, factory):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    return owner, ws


def _weights(app, ws: int) -> dict:
    with app.app_context():
        return read_settings(db.session.get(Workspace, ws).settings).scoring.weights.model_dump()


def test_before_enough_outcomes_the_page_shows_rates_and_says_how_many_are_needed(app, shop, console):
    owner, ws = shop
    with app.app_context():
        outcome_history(ws, 40)
    console.login(owner.email)
    page = console.get(f"/w/{ws}/scoring/quality")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "40 of the 200 outcomes needed before weights are suggested" in html
    assert 'data-rate="hot"' in html and 'data-rate="70-84"' in html
    assert "No suggestion yet" in html and "Apply the suggested weights" not in html
    assert "Scoring quality" in console.get(f"/w/{ws}/scoring").get_data(as_text=True)  # linked from settings


def test_the_owner_applies_the_suggested_weights_from_the_page_and_undoes_it(app, shop, console, factory):
    owner, ws = shop
    with app.app_context():
        outcome_history(ws, 300)
    before = _weights(app, ws)
    console.login(owner.email)
    html = console.get(f"/w/{ws}/scoring/quality").get_data(as_text=True)
    assert "Suggested" in html and "Apply the suggested weights" in html
    assert "Undo the last apply" not in html

    applied = console.post_form(
        f"/w/{ws}/scoring/quality", {}, action=f"/w/{ws}/scoring/quality/apply", follow_redirects=True
    )
    assert applied.status_code == 200
    assert "Suggested weights applied" in applied.get_data(as_text=True)
    assert _weights(app, ws) != before
    assert "Calibrated:" in applied.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "scoring.calibration_applied"))

    undone = console.post_form(
        f"/w/{ws}/scoring/quality", {}, action=f"/w/{ws}/scoring/quality/undo", follow_redirects=True
    )
    assert "The previous weights are back." in undone.get_data(as_text=True)
    assert _weights(app, ws) == before


def test_a_member_sees_the_page_but_cannot_apply(app, shop, console, factory):
    owner, ws = shop
    member = factory.member(owner, ws)
    with app.app_context():
        outcome_history(ws, 300)
    before = _weights(app, ws)
    console.login(member.email)
    html = console.get(f"/w/{ws}/scoring/quality").get_data(as_text=True)
    assert "Only an owner can apply or undo weights." in html and "Apply the suggested weights" not in html
    refused = console.post_form(
        f"/w/{ws}/scoring/quality", {}, action=f"/w/{ws}/scoring/quality/apply", follow_redirects=True
    )
    assert "owner" in refused.get_data(as_text=True)
    assert _weights(app, ws) == before


def test_another_workspace_quality_page_is_not_found(app, shop, console, factory):
    _owner, ws = shop
    stranger = factory.user()
    factory.workspace(stranger)
    console.login(stranger.email)
    assert console.get(f"/w/{ws}/scoring/quality").status_code == 404
