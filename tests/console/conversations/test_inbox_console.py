"""The Inbox page: list, thread, composer sent once (form key), refusal in words, assign, done, hide, polling JSON."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import Conversation, SocialAccount, Target
from tests.factories import make_account, make_interaction
from tests.meta_webhook import SECRET, deliver, inbound


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config() | {"META_APP_SECRET": SECRET}


@pytest.fixture
def inbox(app, client, factory, console, instagram_emulator):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    ig_id = instagram_emulator.add_account("maison")
    with app.app_context():
        account = make_account(ws, platform_user_id=ig_id, access_token=instagram_emulator.issue_token(ig_id))
        account_id = account.id
    instagram_emulator.add_inbound_message(ig_id, "igsid-marie", "je veux le coffret", username="marie")
    deliver(client, ig_id, [inbound(ig_id, "igsid-marie", "mid-m1", "je veux le coffret")])
    console.login(owner.email)
    with app.app_context():
        conversation_id = db.session.scalar(select(Conversation.id))
    page = f"/w/{ws}/inbox?c={conversation_id}"
    return {"ws": ws, "ig_id": ig_id, "owner": owner, "c": conversation_id, "page": page, "account_id": account_id}


def test_list_thread_send_once_assign_done(app, console, inbox, instagram_emulator):
    ws, c, page = inbox["ws"], inbox["c"], inbox["page"]
    listing = console.get(f"/w/{ws}/inbox?filter=unread").get_data(as_text=True)
    assert "@marie" in listing and "Unread" in listing
    html = console.get(page).get_data(as_text=True)
    assert "je veux le coffret" in html and "24-hour message window" in html and "Ctrl+Enter" in html
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    action = f"/w/{ws}/inbox/{c}/send"
    for _ in range(2):  # a double click: the same form twice
        sent = console.post_form(page, {"text": "Il en reste 3 !", "idempotency_key": key}, action=action)
        assert sent.status_code == 303
    assert [m["text"] for m in instagram_emulator.sent_messages] == ["Il en reste 3 !"]
    owner_id = inbox["owner"].user["id"]
    assigned = console.post_form(page, {"assignee_id": str(owner_id)}, action=f"/w/{ws}/inbox/{c}/assign")
    assert assigned.status_code == 303
    assert "@marie" in console.get(f"/w/{ws}/inbox?filter=mine").get_data(as_text=True)
    console.post_form(page, {"state": "done"}, action=f"/w/{ws}/inbox/{c}/state")
    with app.app_context():
        conversation = db.session.get(Conversation, c)
        assert (conversation.state, conversation.assignee_user_id) == ("done", owner_id)
    polled = console.get(f"/w/{ws}/inbox/{c}/items").get_json()
    assert polled["state"] == "done"
    assert [(i["direction"], i["text"]) for i in polled["items"]] == [
        ("in", "je veux le coffret"),
        ("out", "Il en reste 3 !"),
    ]


def test_a_closed_window_disables_the_composer_and_refuses_in_words(app, console, inbox, instagram_emulator):
    with app.app_context():
        target = db.session.scalar(select(Target).where(Target.platform_user_id == "igsid-marie"))
        target.last_inbound_message_at = utcnow() - timedelta(days=3)
        db.session.commit()
    html = console.get(inbox["page"]).get_data(as_text=True)
    assert "No window is open" in html
    refused = console.post_form(
        inbox["page"], {"text": "hello?"}, action=f"/w/{inbox['ws']}/inbox/{inbox['c']}/send", follow_redirects=True
    )
    assert "human-agent" in refused.get_data(as_text=True)
    assert instagram_emulator.sent_messages == []


def test_hide_a_comment_from_the_thread(app, console, inbox, instagram_emulator):
    ig_id = inbox["ig_id"]
    media = instagram_emulator.add_media(ig_id, "Coffret")
    comment_id = instagram_emulator.add_comment(media, "combien ?", "marie", "igsid-marie")
    with app.app_context():
        target = db.session.scalar(select(Target).where(Target.platform_user_id == "igsid-marie"))
        row = make_interaction(target, kind="comment", text="combien ?")
        row.platform_id = comment_id
        db.session.commit()
        row_id = row.id
        assert db.session.get(SocialAccount, inbox["account_id"]) is not None
    action = f"/w/{inbox['ws']}/inbox/{inbox['c']}/comments/{row_id}/hide"
    assert console.post_form(inbox["page"], {}, action=action).status_code == 303
    assert instagram_emulator.hide_calls == [(comment_id, True)]
    assert "Unhide" in console.get(inbox["page"]).get_data(as_text=True)
