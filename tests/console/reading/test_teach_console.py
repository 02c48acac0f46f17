"""The console's teaching controls: on the Interactions page and a person's page, and the versions page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Interaction, InteractionLabel, Target
from core.services.privacy import contact_policy
from tests.conftest import Console
from tests.factories import make_account, make_interaction, make_target
from worker.jobs.reading import retrain_reader


@pytest.fixture
def setup(app, factory, console):
    team = factory.rivals(with_member=True)
    with app.app_context():
        person = make_target(make_account(team["ws"]), username="olga")
        buying = make_interaction(person, text="how much is the blue one?")
        chatting = make_interaction(person, text="thanks, have a lovely weekend", kind="message")
        ids = {"buying": buying.id, "chatting": chatting.id, "target": person.id}
    console.login(team["member"].email)
    return {**team, **ids}


def test_interactions_page_offers_the_labels_that_fit_and_applies_one(app, console, setup):
    page = f"/w/{setup['ws']}/interactions"
    html = console.get(page).get_data(as_text=True)
    assert "Not a buyer" in html and "Is a buyer" in html and "Asked to stop" in html
    assert "asked for the price: “how much is the blue one?”" in html  # the reason, quoting the words

    action = f"/w/{setup['ws']}/interactions/{setup['buying']}/label"
    done = console.post_form(page, {"label": "not_buyer", "next": page}, action=action, follow_redirects=True)

    assert done.status_code == 200
    assert "read as not a buyer" in done.get_data(as_text=True)
    assert "Taught: not a buyer" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Interaction, setup["buying"]).has_intent is False


def test_asked_to_stop_from_the_person_page_blocks_them(app, console, setup):
    page = f"/w/{setup['ws']}/targets/{setup['target']}"
    assert "Asked to stop" in console.get(page).get_data(as_text=True)
    action = f"/w/{setup['ws']}/interactions/{setup['chatting']}/label"
    done = console.post_form(page, {"label": "opt_out", "next": page}, action=action, follow_redirects=True)
    assert "do-not-contact list" in done.get_data(as_text=True)
    with app.app_context():
        target = db.session.get(Target, setup["target"])
        assert contact_policy.is_blocked(target.workspace_id, target.platform, target.platform_user_id)


def test_a_label_through_another_workspace_url_is_refused(app, console, factory, setup):
    stranger_page = f"/w/{setup['other']}/interactions"
    action = f"/w/{setup['other']}/interactions/{setup['buying']}/label"
    refused = console.post_form(f"/w/{setup['ws']}/interactions", {"label": "opt_out"}, action=action)
    assert refused.status_code == 404
    assert console.get(stranger_page).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(InteractionLabel)) is None


def test_versions_page_shows_the_active_version_and_the_owner_rolls_back(app, console, factory, setup):
    page = f"/w/{setup['ws']}/reading"
    assert "The shipped reader" in console.get(page).get_data(as_text=True)
    console.post_form(page, {"label": "not_buyer"}, action=f"/w/{setup['ws']}/interactions/{setup['buying']}/label")
    console.post_form(page, {"label": "buyer"}, action=f"/w/{setup['ws']}/interactions/{setup['chatting']}/label")
    with app.app_context():
        retrain_reader(setup["ws"])
    html = console.get(page).get_data(as_text=True)
    assert "Version 1, trained on 2 labels." in html
    assert "Go back to the shipped reader" not in html  # a member does not roll back

    owner = Console(app.test_client())
    owner.login(setup["owner"].email)
    assert "Go back to the shipped reader" in owner.get(page).get_data(as_text=True)
    done = owner.post_form(page, {}, action=f"{page}/rollback", follow_redirects=True)
    assert "Back to the shipped reader." in done.get_data(as_text=True)
