"""Console forms and filters given garbage numbers ("²", "abc") answer a clear error, never a 500,
and never act on a guess (a garbled owner does not unassign the lead)."""

from __future__ import annotations

import pytest

from core.db import db
from core.models import DmTemplate, Lead, Sequence, Workspace
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.factories import make_account, make_target

SYSTEM = Actor.system("test")
GARBAGE = ("²", "abc", "1.5", "-3", "٣")


@pytest.fixture
def shop(app, factory, console):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    with app.app_context():
        account = make_account(ws)
        lead = leads.create(ws, make_target(account, username="ana").id, actor=SYSTEM)
        leads.update(lead.id, actor=SYSTEM, owner=owner.user["id"])
        template = DmTemplate(workspace_id=ws, name="Hello", body="Hi {{username}}")
        db.session.add(template)
        db.session.commit()
        ids = {"lead": lead.id, "template": template.id, "owner": owner.user["id"]}
    console.login(owner.email)
    return {"ws": ws, **ids}


def _flashed(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize("value", GARBAGE)
def test_dm_forms_refuse_garbage_ids(app, shop, console, value):
    ws = shop["ws"]
    page = f"/w/{ws}/dm/templates"
    with app.app_context():  # the workspace starts with a starter template as its default
        default_before = (db.session.get(Workspace, ws).settings or {}).get("default_template_id")
    edit = console.post_form(page, {"template_id": value, "name": "X", "body": "Hi"}, follow_redirects=True)
    assert "is not a number" in _flashed(edit)
    settings = console.post_form(
        page, {"default_template_id": value}, action=f"/w/{ws}/dm/settings", follow_redirects=True
    )
    assert "A whole number" in _flashed(settings)
    sequence = console.post_form(
        f"/w/{ws}/dm/sequences", {"name": "Follow", "template_1": value}, follow_redirects=True
    )
    assert "A whole number" in _flashed(sequence)
    delay = console.post_form(
        f"/w/{ws}/dm/sequences",
        {"name": "Follow", "template_1": str(shop["template"]), "template_2": str(shop["template"]), "delay_2": value},
        follow_redirects=True,
    )
    assert "A whole number" in _flashed(delay)
    bulk = console.post_form(
        f"/w/{ws}/dm", {"dm_ids": [value]}, action=f"/w/{ws}/dm/bulk-approve", follow_redirects=True
    )
    assert "A whole number" in _flashed(bulk)
    with app.app_context():
        assert db.session.query(Sequence).count() == 0
        assert (db.session.get(Workspace, ws).settings or {}).get("default_template_id") == default_before


@pytest.mark.parametrize("value", GARBAGE)
def test_lead_forms_refuse_garbage_and_keep_the_owner(app, shop, console, value):
    ws, lead_id = shop["ws"], shop["lead"]
    page = f"/w/{ws}/leads/{lead_id}"
    edit = console.post_form(page, {"owner": value, "notes": "kept?"}, action=f"{page}/edit", follow_redirects=True)
    assert "A whole number" in _flashed(edit)
    bulk = console.post_form(
        f"/w/{ws}/leads",
        {"lead_ids": [str(lead_id)], "owner": value},
        action=f"/w/{ws}/leads/bulk",
        follow_redirects=True,
    )
    assert "A whole number" in _flashed(bulk)
    ids = console.post_form(
        f"/w/{ws}/leads",
        {"lead_ids": [value], "status": "contacted"},
        action=f"/w/{ws}/leads/bulk",
        follow_redirects=True,
    )
    assert "A whole number" in _flashed(ids)
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.owner_user_id == shop["owner"] and lead.notes is None and lead.status == "new"


def test_blank_owner_still_unassigns(app, shop, console):
    ws, lead_id = shop["ws"], shop["lead"]
    page = f"/w/{ws}/leads/{lead_id}"
    assert console.post_form(page, {"owner": ""}, action=f"{page}/edit").status_code == 303
    with app.app_context():
        assert db.session.get(Lead, lead_id).owner_user_id is None


@pytest.mark.parametrize("value", GARBAGE)
def test_interactions_filter_refuses_a_garbage_account(shop, console, value):
    response = console.get(f"/w/{shop['ws']}/interactions?account={value}")
    assert response.status_code == 422 and "Pick an account from the list." in response.get_data(as_text=True)
