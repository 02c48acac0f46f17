"""The DM composer on the target and lead pages (routes, templates filled, Save draft / Send now, errors
inline, why no route is open), and the approval queue's urgency order, time left and disabled Approve."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import DirectMessage, DmTemplate, Door, Lead, User
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
        shop = instagram_shop(instagram_emulator, workspace["id"], quota=1)
        person, comment = commenter(instagram_emulator, shop, text="price please?")
        template = DmTemplate(workspace_id=workspace["id"], name="Price", body="Hi {{username}}: {{comment_excerpt}}")
        db.session.add(template)
        db.session.commit()
        ids = {"target": person.id, "username": person.username, "comment": comment.platform_id, "tpl": template.id}
    console.login(owner.email)
    return {"ws": workspace["id"], "shop": shop, "owner": owner, **ids}


def _dms(app) -> list[DirectMessage]:
    with app.app_context():
        return list(db.session.scalars(select(DirectMessage).order_by(DirectMessage.id)))


def test_target_page_composes_and_saves_a_draft(app, world, console):
    ws, target = world["ws"], world["target"]
    page = console.get(f"/w/{ws}/targets/{target}").get_data(as_text=True)
    assert "Write a DM" in page and "Private reply to the comment “price please?”" in page
    assert f'value="comment:{world["comment"]}"' in page and "left)" in page
    # The picker carries each template's text filled for each route; the script only copies it.
    assert f'data-text-0="Hi @{world["username"]}: price please?"' in page
    assert "Save draft" in page and "Send now" in page and "composer.js" in page
    response = console.post_form(
        f"/w/{ws}/targets/{target}",
        {
            "route": f"comment:{world['comment']}",
            "template_id": str(world["tpl"]),
            "text": "Edited by hand",
            "action": "draft",
        },
        action=f"/w/{ws}/targets/{target}/dm",
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/w/{ws}/targets/{target}")
    [dm] = _dms(app)
    assert (dm.status, dm.text, dm.kind, dm.template_id) == ("draft", "Edited by hand", "private_reply", world["tpl"])
    queue = console.get(f"/w/{ws}/dm").get_data(as_text=True)
    assert "Edited by hand" in queue


def test_fill_from_template_works_without_javascript(world, console):
    ws, target = world["ws"], world["target"]
    response = console.post_form(
        f"/w/{ws}/targets/{target}",
        {"route": f"comment:{world['comment']}", "template_id": str(world["tpl"]), "text": "", "action": "fill"},
        action=f"/w/{ws}/targets/{target}/dm",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f">Hi @{world['username']}: price please?</textarea>" in html


def test_send_now_sends_and_an_empty_text_is_named_inline(app, world, console, instagram_emulator):
    ws, target = world["ws"], world["target"]
    bad = console.post_form(
        f"/w/{ws}/targets/{target}", {"text": "  ", "action": "draft"}, action=f"/w/{ws}/targets/{target}/dm"
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="e-text"' in html and "Write the message or pick a template." in html and _dms(app) == []
    sent = console.post_form(
        f"/w/{ws}/targets/{target}",
        {"text": "Hello now", "action": "send"},
        action=f"/w/{ws}/targets/{target}/dm",
        follow_redirects=True,
    )
    assert "DM approved; it is being sent." in sent.get_data(as_text=True)
    [dm] = _dms(app)
    assert dm.status == "sent" and instagram_emulator.sent_messages[-1]["text"] == "Hello now"
    # The comment's one private reply is used: the page now says why no DM is possible, and when.
    after = console.get(f"/w/{ws}/targets/{target}").get_data(as_text=True)
    assert "No DM possible now." in after and "When one could open:" in after


def test_lead_page_has_the_composer_and_returns_to_the_lead(app, world, console):
    ws, target = world["ws"], world["target"]
    with app.app_context():
        lead = Lead(workspace_id=ws, target_id=target, status="new", source="manual")
        db.session.add(lead)
        db.session.commit()
        lead_id = lead.id
    page = console.get(f"/w/{ws}/leads/{lead_id}").get_data(as_text=True)
    assert "Write a DM" in page and f'value="/w/{ws}/leads/{lead_id}"' in page
    response = console.post_form(
        f"/w/{ws}/leads/{lead_id}",
        {"text": "From the lead page", "action": "draft", "next": f"/w/{ws}/leads/{lead_id}"},
        action=f"/w/{ws}/targets/{target}/dm",
    )
    assert response.headers["Location"].endswith(f"/w/{ws}/leads/{lead_id}")
    # A `next` outside the workspace falls back to the target page.
    evil = console.post_form(
        f"/w/{ws}/targets/{target}",
        {"text": "Again", "action": "draft", "next": "//evil.example/w/1/"},
        action=f"/w/{ws}/targets/{target}/dm",
    )
    assert evil.headers["Location"].endswith(f"/w/{ws}/targets/{target}")


def test_another_workspace_cannot_compose(app, world, factory):
    stranger = factory.user()
    factory.workspace(stranger, name="Other")
    other = Console(app.test_client())
    other.login(stranger.email)
    token = csrf_from(other.get("/", follow_redirects=True).get_data(as_text=True))
    ws, target = world["ws"], world["target"]
    response = other.client.post(f"/w/{ws}/targets/{target}/dm", data={"csrf_token": token, "text": "x"})
    assert response.status_code == 404 and _dms(app) == []


def test_queue_urgent_first_time_left_and_approve_disabled_with_reason(app, world, console, instagram_emulator):
    ws, shop = world["ws"], world["shop"]
    with app.app_context():
        actor = Actor.for_user(db.session.get(User, world["owner"].user["id"]), Door.CONSOLE)
        later = dms.create_draft(world["target"], actor=actor, text="Closes in a week").id
        urgent_person, _ = commenter(instagram_emulator, shop, age=timedelta(days=6, hours=21))
        urgent = dms.create_draft(urgent_person.id, actor=actor, text="Closes in 3 hours").id
    html = console.get(f"/w/{ws}/dm").get_data(as_text=True)
    assert html.index("Closes in 3 hours") < html.index("Closes in a week")
    assert ">2 h 59 min<" in html or ">3 h 0 min<" in html
    assert html.count("disabled") == 0

    console.post_form(f"/w/{ws}/dm", {}, action=f"/w/{ws}/dm/{urgent}/approve")  # the one unit of today's quota
    html = console.get(f"/w/{ws}/dm").get_data(as_text=True)
    assert f'aria-describedby="why-{later}"' in html
    assert "Today&#39;s quota is used up for @acme.shop (1/1)." in html
    assert html.count("disabled") == 2  # its checkbox and its Approve button


def test_bulk_approve_with_nothing_selected_says_so(app, world, console):
    ws = world["ws"]
    with app.app_context():
        actor = Actor.for_user(db.session.get(User, world["owner"].user["id"]), Door.CONSOLE)
        dms.create_draft(world["target"], actor=actor, text="Waiting")
    response = console.post_form(f"/w/{ws}/dm", {}, action=f"/w/{ws}/dm/bulk-approve", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "No DM selected. Tick at least one DM to approve." in html and "flash-error" in html
    assert "DM approved." not in html and "DMs approved." not in html and "flash-success" not in html
    assert [dm.status for dm in _dms(app)] == ["draft"]


def test_an_old_comment_draft_shows_window_closed(app, world, console, instagram_emulator):
    ws = world["ws"]
    with app.app_context():
        actor = Actor.for_user(db.session.get(User, world["owner"].user["id"]), Door.CONSOLE)
        person, comment = commenter(instagram_emulator, world["shop"])
        dm_id = dms.create_draft(person.id, actor=actor, text="Too late").id
        comment.occurred_at = utcnow() - timedelta(days=8)  # the week went by while it waited
        db.session.commit()
    html = console.get(f"/w/{ws}/dm").get_data(as_text=True)
    assert f'id="why-{dm_id}"' in html and "Window closed: the comment is older than 7 days" in html
    assert ">closed<" in html
