"""Calibration on outcomes: rates per band with intervals, the minimum before any suggestion, the
suggested weights, apply (owner only, audited) and undo, "likely to reply" once calibrated, and
GET /targets/calibration/<workspace_id> kept to its workspace."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry, DirectMessage, Target, Workspace
from core.scoring import calibration as calib
from core.services.targets import calibration
from core.services.workspaces.settings import read as read_settings
from tests.calibration_history import outcome_history


@pytest.fixture
def shop(app, factory):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    return owner, ws


def test_wilson_interval_is_sound_with_few_and_many():
    assert calib.wilson(0, 0) == (None, None)
    low, high = calib.wilson(4, 10)
    assert 0.16 < low < 0.17 and 0.68 < high < 0.69
    low, high = calib.wilson(400, 1000)
    assert high - low < 0.07


def test_before_enough_outcomes_rates_only_and_nothing_to_apply(app, shop):
    owner, ws = shop
    with app.app_context():
        outcome_history(ws, 60)
    body = owner.get(f"/targets/calibration/{ws}").get_json()
    assert body["reply"]["outcomes"] == 60 and body["reply"]["needed"] == calib.MIN_REPLY_OUTCOMES
    assert body["reply"]["enough"] is False and body["suggested_weights"] is None and body["calibrated"] is False
    assert sum(b["n"] for b in body["reply"]["bands"]) == 60
    hot, not_hot = body["reply"]["hot_vs_not"]
    assert hot["n"] + not_hot["n"] == 60 and hot["ci95"][0] <= hot["rate"] <= hot["ci95"][1]
    refused = owner.post(f"/targets/calibration/{ws}/apply")
    assert refused.status_code == 409 and "60 of 200" in refused.get_json()["error"]["message"]


def test_enough_outcomes_suggest_weights_apply_is_owner_only_audited_and_undone(app, shop, factory):
    owner, ws = shop
    with app.app_context():
        outcome_history(ws, 300)
        before = read_settings(db.session.get(Workspace, ws).settings).scoring.weights.model_dump()
    body = owner.get(f"/targets/calibration/{ws}").get_json()
    assert body["reply"]["enough"] is True and body["win"]["outcomes"] == 75
    hot, not_hot = body["reply"]["hot_vs_not"]
    assert hot["rate"] > not_hot["rate"]  # hot people do reply more: the defaults rank the right way
    suggested = body["suggested_weights"]
    assert set(suggested) == set(body["current_weights"]) and suggested["order"] > suggested["comment"]

    member = factory.member(owner, ws, "admin")
    assert member.post(f"/targets/calibration/{ws}/apply").status_code == 403
    applied = owner.post(f"/targets/calibration/{ws}/apply")
    assert applied.status_code == 200, applied.get_json()
    with app.app_context():
        stored = read_settings(db.session.get(Workspace, ws).settings)
        assert stored.scoring.weights.model_dump() == suggested and stored.calibration.previous_weights == before
        assert calibration.likely_to_reply(db.session.get(Workspace, ws).settings, 90) >= calibration.likely_to_reply(
            db.session.get(Workspace, ws).settings, 5
        )
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "scoring.calibration_applied"))
        assert entry.details["before"] == before and entry.details["after"] == suggested
    assert owner.get(f"/targets/calibration/{ws}").get_json()["calibrated"] is True

    assert owner.post(f"/targets/calibration/{ws}/undo").status_code == 200
    with app.app_context():
        assert read_settings(db.session.get(Workspace, ws).settings).scoring.weights.model_dump() == before
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "scoring.calibration_undone"))
    assert owner.post(f"/targets/calibration/{ws}/undo").status_code == 409  # nothing left to undo


def test_another_workspace_calibration_is_not_found(app, shop, factory):
    _owner, ws = shop
    stranger = factory.user()
    factory.workspace(stranger, name="Elsewhere")
    for method, path in (("get", ""), ("post", "/apply"), ("post", "/undo")):
        response = getattr(stranger, method)(f"/targets/calibration/{ws}{path}")
        assert response.status_code == 404


def test_uncalibrated_workspace_says_nothing_about_replies():
    assert calibration.likely_to_reply({}, 80) is None


def test_target_page_says_likely_to_reply_once_calibrated(app, shop, client, console):
    owner, ws = shop
    with app.app_context():
        outcome_history(ws, 300)
    assert owner.post(f"/targets/calibration/{ws}/apply").status_code == 200
    with app.app_context():
        target_id = db.session.scalar(select(DirectMessage.target_id).limit(1))
        settings = db.session.get(Workspace, ws).settings
        score = db.session.get(Target, target_id).score
        expected = calibration.likely_to_reply(settings, score)
    console.login(owner.email)
    page = console.get(f"/w/{ws}/targets/{target_id}").get_data(as_text=True)
    assert f"likely to reply: {expected} in 10" in page
