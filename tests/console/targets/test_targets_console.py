"""Console Targets pages: list with score bar and reasons, filters, detail, Make lead, rescore
button, scoring settings (save, validation naming the field, preview) and isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import AuditEntry, Lead, Workspace
from core.services.targets.rescore import rescore_workspace
from tests.conftest import Console
from tests.factories import make_account, make_interaction, make_target
from tests.scoring_legacy import LEGACY_SETTINGS


@pytest.fixture
def setup(app, factory, console):
    owner = factory.user()
    ws = factory.workspace(owner)
    now = utcnow()
    with app.app_context():
        account = make_account(ws["id"])
        workspace = db.session.get(Workspace, ws["id"])
        workspace.settings = {**workspace.settings, "scoring": LEGACY_SETTINGS}  # the numbers written below
        db.session.commit()
        hot = make_target(account, username="eager_buyer")
        make_interaction(hot, kind="message", text="hello", occurred_at=now - timedelta(minutes=9))
        make_interaction(hot, kind="message", text="hi", occurred_at=now - timedelta(minutes=8))
        make_interaction(hot, kind="comment", text="prix ?", occurred_at=now - timedelta(minutes=7))
        calm = make_target(account, username="calm_viewer")
        make_interaction(calm, kind="comment", text="nice", occurred_at=now)
        rescore_workspace(ws["id"], full=True)
        ids = {"hot": hot.id, "calm": calm.id}
    console.login(owner.email)
    return {"owner": owner, "ws": ws, **ids}


def test_targets_page_shows_score_reasons_and_filters(setup, console):
    page = console.get(f"/w/{setup['ws']['id']}/targets").get_data(as_text=True)
    assert "@eager_buyer" in page and "@calm_viewer" in page
    assert "asked for the price" in page and "Hot" in page and "width:70%" in page
    assert "Make lead" in page and "Draft DM" in page
    assert page.index("@eager_buyer") < page.index("@calm_viewer")
    hot_only = console.get(f"/w/{setup['ws']['id']}/targets?hot_only=on").get_data(as_text=True)
    assert "@eager_buyer" in hot_only and "@calm_viewer" not in hot_only
    bad = console.get(f"/w/{setup['ws']['id']}/targets?min_score=400")
    assert bad.status_code == 422


def test_detail_page_explains_and_offers_dm(setup, console):
    page = console.get(f"/w/{setup['ws']['id']}/targets/{setup['hot']}").get_data(as_text=True)
    assert "Direct messages" in page and "+" in page and "prix ?" in page
    # The composer offers the comment's private reply; the factory sets no inbound time, so no message window.
    assert "Private reply to the comment “prix ?”" in page and "Message within the 24 h window" not in page


def test_make_lead_once(app, setup, console):
    path = f"/w/{setup['ws']['id']}/targets"
    action = f"{path}/{setup['calm']}/lead"
    first = console.post_form(path, {}, action=action)
    assert first.status_code == 303
    console.post_form(path, {}, action=action)
    with app.app_context():
        leads = db.session.scalars(select(Lead).where(Lead.target_id == setup["calm"])).all()
        assert len(leads) == 1 and leads[0].source == "manual"
    assert "already a lead" in console.get(path).get_data(as_text=True)


def test_make_lead_from_the_console_is_audited(app, setup, console):
    path = f"/w/{setup['ws']['id']}/targets"
    console.post_form(path, {}, action=f"{path}/{setup['hot']}/lead")
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.target_id == setup["hot"]))
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "lead.created", AuditEntry.subject_id == str(lead.id))
        )
        assert entry is not None and entry.actor_label == setup["owner"].email and entry.door == "console"


def test_rescore_button(setup, console):
    path = f"/w/{setup['ws']['id']}/targets"
    response = console.post_form(path, {}, action=f"{path}/rescore", follow_redirects=True)
    assert "2 targets scored" in response.get_data(as_text=True)


def test_scoring_settings_save_validate_and_preview(app, setup, console):
    path = f"/w/{setup['ws']['id']}/scoring"
    page = console.get(path).get_data(as_text=True)
    assert "Half-life" in page and 'value="70"' in page
    bad = console.post_form(path, {"action": "save", "hot_threshold": "50", "cool_threshold": "60"})
    assert bad.status_code == 422 and 'id="e-cool_threshold"' in bad.get_data(as_text=True)
    ok = console.post_form(
        path,
        {"action": "save", "hot_threshold": "80", "cool_threshold": "65", "half_life_days": "3", "w_message": "30"},
    )
    assert ok.status_code == 303
    with app.app_context():
        scoring = db.session.get(Workspace, setup["ws"]["id"]).settings["scoring"]
        assert (scoring["hot_threshold"], scoring["cool_threshold"], scoring["half_life_days"]) == (80, 65, 3)
        assert scoring["weights"]["message"] == 30 and scoring["weights"]["intent"] == 20
    preview = console.post_form(
        path, {"action": "preview", "n_message": "2", "age_message": "0", "n_intent": "1", "age_intent": "0"}
    )
    html = preview.get_data(as_text=True)
    # 2 x 30 = 60 (the conversation cap) + 20 = 80: hot at the new threshold of 80.
    assert preview.status_code == 200 and "<strong>80</strong>" in html and "Hot" in html
    # The named people, scored with the saved settings beside what the defaults promise.
    assert 'data-persona="clear_buyer"' in html and "The spammer" in html
    # With these (old) weights the clear buyer's one comment is 20 points: the page says it differs.
    assert "differs" in html
    with app.app_context():  # a preview saves nothing
        assert db.session.get(Workspace, setup["ws"]["id"]).settings["scoring"]["hot_threshold"] == 80


def test_member_cannot_save_scoring(setup, factory, app):
    member = factory.member(setup["owner"], setup["ws"]["id"], "member")
    console = Console(app.test_client())
    console.login(member.email)
    path = f"/w/{setup['ws']['id']}/scoring"
    response = console.post_form(path, {"action": "save", "hot_threshold": "90"})
    assert response.status_code == 303  # flashed "needs the admin role"
    with app.app_context():
        stored = db.session.get(Workspace, setup["ws"]["id"]).settings
        assert stored.get("scoring", {}).get("hot_threshold", 70) == 70


def test_foreign_workspace_pages_are_404(app, setup, factory):
    stranger = factory.user()
    factory.workspace(stranger, name="Elsewhere")
    console = Console(app.test_client())
    console.login(stranger.email)
    ws = setup["ws"]["id"]
    for path in (f"/w/{ws}/targets", f"/w/{ws}/targets/{setup['hot']}", f"/w/{ws}/scoring"):
        assert console.get(path).status_code == 404
