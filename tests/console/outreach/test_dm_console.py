"""DM console pages: approval queue (approve, edit then approve, skip, bulk up to quota), history,
templates with preview, sequences; CSRF forms and foreign workspaces."""

from __future__ import annotations

import pytest

from core.db import db
from core.models import DirectMessage, DmTemplate, Door, Sequence, SequenceEnrollment, User
from core.services.identity.actors import Actor
from core.services.outreach import dms
from tests.conftest import Console, csrf_from
from tests.dm_setup import commenter, instagram_shop


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def world(app, factory, console, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace["id"], quota=2)
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.SYSTEM)
        drafts = [
            dms.create_draft(commenter(instagram_emulator, shop)[0].id, actor=actor, text=f"Draft {n}").id
            for n in range(4)
        ]
    console.login(owner.email)
    return {"ws": workspace["id"], "drafts": drafts, "owner": owner}


def _status(app, dm_id):
    with app.app_context():
        return db.session.get(DirectMessage, dm_id)


def test_queue_approve_edited_skip_and_bulk_up_to_quota(app, world, console, instagram_emulator):
    ws, drafts = world["ws"], world["drafts"]
    page = console.get(f"/w/{ws}/dm").get_data(as_text=True)
    assert "Draft 0" in page and "0/2 today" in page and 'role="meter"' in page
    console.post_form(f"/w/{ws}/dm", {"text": "Edited before approval"}, action=f"/w/{ws}/dm/{drafts[0]}/approve")
    dm = _status(app, drafts[0])
    assert dm.status == "sent" and dm.text == "Edited before approval" and dm.approved_via == "console"
    assert instagram_emulator.sent_messages[0]["text"] == "Edited before approval"
    console.post_form(f"/w/{ws}/dm", {}, action=f"/w/{ws}/dm/{drafts[1]}/skip")
    assert _status(app, drafts[1]).status == "skipped"
    response = console.post_form(
        f"/w/{ws}/dm",
        {"dm_ids": [str(drafts[2]), str(drafts[3])]},
        action=f"/w/{ws}/dm/bulk-approve",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "1 DM approved." in html and "quota" in html  # 1 unit was left of 2 (and "1 DM", not "1 DMs")
    assert [_status(app, d).status for d in drafts[2:]] == ["sent", "draft"]


def test_history_templates_and_sequences_pages(app, world, console):
    ws = world["ws"]
    bad = console.post_form(f"/w/{ws}/dm/templates", {"name": "Oops", "body": "Hi {{firstname}}"})
    assert bad.status_code == 422 and "Unknown variable {{firstname}} at line 1, column 4" in bad.get_data(as_text=True)
    ok = console.post_form(f"/w/{ws}/dm/templates", {"name": "Hello", "body": "Hi {{username}}"}, follow_redirects=True)
    html = ok.get_data(as_text=True)
    assert "Template saved." in html and "preview-values" in html
    created = console.post_form(f"/w/{ws}/dm/sequences", {"name": "Nurture", "template_1": "1"}, follow_redirects=True)
    assert "Sequence created." in created.get_data(as_text=True)
    history = console.get(f"/w/{ws}/dm/history?status=draft").get_data(as_text=True)
    assert "Draft 3" in history
    assert console.get(f"/w/{ws}/dm/history?status=nope", follow_redirects=True).status_code == 200


def test_foreign_workspace_pages_and_forms_are_404(app, world, factory):
    stranger = factory.user()
    factory.workspace(stranger, name="Other")
    other = Console(app.test_client())
    other.login(stranger.email)
    ws, dm_id = world["ws"], world["drafts"][0]
    for path in ("dm", "dm/history", "dm/templates", "dm/sequences"):
        assert other.get(f"/w/{ws}/{path}").status_code == 404
    token = csrf_from(other.get("/", follow_redirects=True).get_data(as_text=True))
    for action in (f"dm/{dm_id}/approve", f"dm/{dm_id}/skip", "dm/bulk-approve", "dm/enrollments/1/pause"):
        response = other.client.post(f"/w/{ws}/{action}", data={"csrf_token": token, "dm_ids": [str(dm_id)]})
        assert response.status_code == 404, action
    assert _status(app, dm_id).status == "draft"


def test_sequences_page_shows_an_enrolment_whose_sequence_is_past_the_first_200(app, world, console):
    ws = world["ws"]
    with app.app_context():
        target_id = db.session.get(DirectMessage, world["drafts"][0]).target_id
        template = DmTemplate(workspace_id=ws, name="Step", body="Hi {{username}}")
        db.session.add(template)
        db.session.flush()
        steps = [{"template_id": template.id, "delay_hours": 0}]
        made = [Sequence(workspace_id=ws, name=f"Seq {n:03}", steps=steps) for n in range(201)]
        db.session.add_all(made)
        db.session.flush()
        db.session.add(SequenceEnrollment(workspace_id=ws, sequence_id=made[-1].id, target_id=target_id, step_log=[]))
        db.session.commit()
    page = console.get(f"/w/{ws}/dm/sequences")
    assert page.status_code == 200 and "Seq 200" in page.get_data(as_text=True)
