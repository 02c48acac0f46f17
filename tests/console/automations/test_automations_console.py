"""The automations pages: the editor refuses bad fields on the form itself, saves, switches, pauses and promotes
variants, deletes; members read, admins change, other workspaces get 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AutomationRule, AutomationVariant, DmTemplate
from tests.conftest import Console


@pytest.fixture
def setup(app, factory, console):
    team = factory.rivals(with_member=True)
    with app.app_context():
        first = DmTemplate(workspace_id=team["ws"], name="Price list", body="Hi {{username}}, prices in bio.")
        second = DmTemplate(workspace_id=team["ws"], name="Short", body="Prices in bio!")
        db.session.add_all([first, second])
        db.session.commit()
        ids = {"first": first.id, "second": second.id}
    console.login(team["owner"].email)
    return team | ids


def _form(setup, **changes):
    return {
        "name": "Prix",
        "priority": "10",
        "trigger_on": "comment",
        "keywords": "prix, price",
        "variant_0_template": str(setup["first"]),
        "variant_0_weight": "60",
        "variant_1_template": str(setup["second"]),
        "variant_1_weight": "40",
        "public_replies": "Sent you a DM 📩\nCheck your DMs",
        "mode": "automatic",
        "exclude_customers": "on",
    } | changes


def test_create_from_the_editor_then_switch_on_and_promote(app, console, setup):
    ws = setup["ws"]
    new = f"/w/{ws}/automations/new"
    done = console.post_form(new, _form(setup), follow_redirects=True)
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "Automation “Prix” saved." in html and "Short" in html and "No message sent yet." in html
    with app.app_context():
        rule = db.session.scalar(select(AutomationRule))
        assert (rule.priority, rule.mode, rule.active, rule.trigger["keywords"]) == (
            10,
            "automatic",
            False,
            ["prix", "price"],
        )
        assert rule.public_replies == ["Sent you a DM 📩", "Check your DMs"]
        a, b = db.session.scalars(select(AutomationVariant).order_by(AutomationVariant.id)).all()
    page = f"/w/{ws}/automations/{rule.id}"
    switched = console.post_form(page, {"active": "on"}, action=page + "/switch", follow_redirects=True)
    assert "is on: new comments trigger it." in switched.get_data(as_text=True)
    promoted = console.post_form(page, {}, action=f"{page}/variants/{b.id}/promote", follow_redirects=True)
    assert "Only this variant is sent from now on." in promoted.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AutomationRule, rule.id).active
        assert db.session.get(AutomationVariant, a.id).paused and not db.session.get(AutomationVariant, b.id).paused
    listing = console.client.get(f"/w/{ws}/automations").get_data(as_text=True)
    assert "Prix" in listing and "sends by itself" in listing and "0 DMs sent" in listing


def test_the_editor_marks_the_wrong_fields_and_saves_nothing(app, console, setup):
    new = f"/w/{setup['ws']}/automations/new"
    response = console.post_form(
        new, _form(setup, variant_0_weight="0", active_from="25:00", active_until="18:00", name="Prix")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Some fields need a change" in html and 'id="e-variants-0-weight"' in html
    assert 'value="Prix"' in html  # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(AutomationRule)) is None


def test_edit_keeps_the_variants_figures_and_delete_goes(app, console, setup):
    ws = setup["ws"]
    console.post_form(f"/w/{ws}/automations/new", _form(setup))
    with app.app_context():
        rule = db.session.scalar(select(AutomationRule))
        a = db.session.scalars(select(AutomationVariant).order_by(AutomationVariant.id)).first()
    edit = f"/w/{ws}/automations/{rule.id}/edit"
    assert "Price list" in console.client.get(edit).get_data(as_text=True)
    form = _form(setup, name="Prix v2", variant_0_id=str(a.id), variant_1_template="")
    assert console.post_form(edit, form).status_code == 303
    with app.app_context():
        variants = db.session.scalars(select(AutomationVariant).order_by(AutomationVariant.id)).all()
        assert db.session.get(AutomationRule, rule.id).name == "Prix v2"
        assert [(v.label, v.removed_at is None) for v in variants] == [("A", True), ("B", False)]  # B retired
    page = f"/w/{ws}/automations/{rule.id}"
    gone = console.post_form(page, {}, action=page + "/delete", follow_redirects=True)
    assert "Automation deleted." in gone.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AutomationRule)) is None


def test_members_read_but_cannot_change_and_strangers_get_404(app, console, setup):
    ws = setup["ws"]
    console.post_form(f"/w/{ws}/automations/new", _form(setup))
    with app.app_context():
        rule_id = db.session.scalar(select(AutomationRule.id))
    member = Console(app.test_client())
    member.login(setup["member"].email)
    page = f"/w/{ws}/automations/{rule_id}"
    html = member.client.get(page).get_data(as_text=True)
    assert (
        "Prix" in html
        and "Switch on" not in html
        and "New automation" not in member.client.get(f"/w/{ws}/automations").get_data(as_text=True)
    )
    refused = member.post_form(page, {"active": "on"}, action=page + "/switch", follow_redirects=True)
    assert "admin" in refused.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(AutomationRule, rule_id).active
    stranger = Console(app.test_client())
    stranger.login(setup["stranger"].email)
    for path in (page, page + "/dry-run", page + "/edit", f"/w/{ws}/automations"):
        assert stranger.client.get(path).status_code == 404


def test_the_editor_is_for_admins(app, console, setup):
    ws = setup["ws"]
    console.post_form(f"/w/{ws}/automations/new", _form(setup))
    with app.app_context():
        rule_id = db.session.scalar(select(AutomationRule.id))
    member = Console(app.test_client())
    member.login(setup["member"].email)
    for path in (f"/w/{ws}/automations/new", f"/w/{ws}/automations/{rule_id}/edit"):
        assert member.client.get(path).status_code == 403


def test_the_intent_certainty_takes_decimals_and_refuses_words(app, console, setup):
    new = f"/w/{setup['ws']}/automations/new"
    wrong = console.post_form(new, _form(setup, intent="on", min_intent="beaucoup"))
    assert wrong.status_code == 422 and 'value="beaucoup"' in wrong.get_data(as_text=True)
    assert console.post_form(new, _form(setup, intent="on", min_intent="50,5")).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(AutomationRule)).trigger["minIntent"] == 0.505
