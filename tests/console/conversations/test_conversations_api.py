"""The /conversations API against the Instagram emulator: the inbox list, the thread and its window, answering
exactly once (Idempotency-Key, double click), refusals that name the rule, state and assignee, public reply, hide."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import Conversation, Interaction, Target, Workspace
from tests.factories import make_account, make_interaction, make_target
from tests.meta_webhook import SECRET, deliver, inbound


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config() | {"META_APP_SECRET": SECRET}


@pytest.fixture
def world(app, client, factory, instagram_emulator):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    ig_id = instagram_emulator.add_account("maison")
    with app.app_context():
        account = make_account(ws, platform_user_id=ig_id, access_token=instagram_emulator.issue_token(ig_id))
        account_id = account.id
    instagram_emulator.add_inbound_message(ig_id, "igsid-marie", "je veux le coffret", username="marie")
    deliver(client, ig_id, [inbound(ig_id, "igsid-marie", "mid-m1", "je veux le coffret")])
    with app.app_context():
        conversation_id = db.session.scalar(select(Conversation.id))
    return {"owner": owner, "ws": ws, "ig_id": ig_id, "account_id": account_id, "conversation": conversation_id}


def test_list_thread_and_window(world):
    api, ws = world["owner"], world["ws"]
    page = api.get(f"/conversations/workspace/{ws}?filter=unread").get_json()
    [row] = page["items"]
    assert (row["id"], row["username"], row["state"], row["unread"]) == (world["conversation"], "marie", "open", True)
    assert api.get(f"/conversations/workspace/{ws}?q=coffret").get_json()["items"][0]["id"] == row["id"]
    assert api.get(f"/conversations/workspace/{ws}?q=nobody").get_json()["items"] == []
    assert api.get(f"/conversations/workspace/{ws}?filter=done").get_json()["items"] == []
    bad = api.get(f"/conversations/workspace/{ws}?filter=closed")
    assert bad.status_code == 422 and "filter" in bad.get_json()["error"]["fields"]
    thread = api.get(f"/conversations/{row['id']}").get_json()
    assert thread["person"]["username"] == "marie"
    assert [(i["direction"], i["text"]) for i in thread["items"]] == [("in", "je veux le coffret")]
    assert thread["windows"][0]["route"] == "message"
    assert api.post(f"/conversations/{row['id']}/read").status_code == 200
    assert api.get(f"/conversations/workspace/{ws}?filter=unread").get_json()["items"] == []


def test_a_reply_is_sent_exactly_once(world, instagram_emulator):
    api, conversation = world["owner"], world["conversation"]
    url = f"/conversations/{conversation}/messages"
    first = api.post(url, json={"text": "Bonjour Marie, il reste 3 coffrets !"}, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == 202, first.get_json()
    again = api.post(url, json={"text": "Bonjour Marie, il reste 3 coffrets !"}, headers={"Idempotency-Key": "c-1"})
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    [sent] = instagram_emulator.sent_messages
    assert (sent["recipient"], sent["text"]) == ({"id": "igsid-marie"}, "Bonjour Marie, il reste 3 coffrets !")
    thread = api.get(f"/conversations/{conversation}").get_json()
    assert thread["state"] == "waiting"
    assert [(i["direction"], i["status"]) for i in thread["items"]][-1] == ("out", "sent")
    other = api.post(url, json={"text": "autre chose"}, headers={"Idempotency-Key": "c-1"})
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["error"]["fields"]


def test_after_the_window_the_reply_is_refused_with_the_rule_and_no_call(app, world, instagram_emulator):
    api, conversation = world["owner"], world["conversation"]
    with app.app_context():
        target = db.session.scalar(select(Target).where(Target.platform_user_id == "igsid-marie"))
        target.last_inbound_message_at = utcnow() - timedelta(hours=30)
        db.session.commit()
    calls = len(instagram_emulator.requests)
    refused = api.post(f"/conversations/{conversation}/messages", json={"text": "toujours là ?"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "window_closed" and "human-agent" in error["message"]
    assert instagram_emulator.sent_messages == []
    assert len(instagram_emulator.requests) == calls  # refused before any call to Instagram
    # With Meta's human-agent permission, a person's message goes out tagged.
    with app.app_context():
        workspace = db.session.get(Workspace, world["ws"])
        workspace.settings = {**(workspace.settings or {}), "meta_human_agent": True}
        db.session.commit()
    instagram_emulator.human_agent_granted = True
    sent = api.post(f"/conversations/{conversation}/messages", json={"text": "toujours là ?"})
    assert sent.status_code == 202, sent.get_json()
    [message] = instagram_emulator.sent_messages
    assert message["text"] == "toujours là ?"
    with app.app_context():
        from core.models import DirectMessage

        assert db.session.get(DirectMessage, sent.get_json()["id"]).message_tag == "HUMAN_AGENT"


def test_state_and_assignee(world, factory):
    api, conversation = world["owner"], world["conversation"]
    me = api.user["id"]
    done = api.patch(f"/conversations/{conversation}", json={"state": "done", "assigneeId": me})
    assert done.status_code == 200 and (done.get_json()["state"], done.get_json()["assignee_user_id"]) == ("done", me)
    assert api.get(f"/conversations/workspace/{world['ws']}?filter=mine").get_json()["items"][0]["id"] == conversation
    stranger = factory.user()
    bad = api.patch(f"/conversations/{conversation}", json={"assigneeId": stranger.user["id"]})
    assert bad.status_code == 422 and "assigneeId" in bad.get_json()["error"]["fields"]
    unassigned = api.patch(f"/conversations/{conversation}", json={"assigneeId": None})
    assert unassigned.get_json()["assignee_user_id"] is None
    assert stranger.get(f"/conversations/{conversation}").status_code == 404


def test_public_reply_and_hide_reach_instagram(app, world, instagram_emulator):
    api, ig_id = world["owner"], world["ig_id"]
    media = instagram_emulator.add_media(ig_id, "Coffret")
    comment_id = instagram_emulator.add_comment(media, "combien ?", "lea", "igsid-lea")
    with app.app_context():
        from core.models import SocialAccount

        account = db.session.get(SocialAccount, world["account_id"])
        target = make_target(account, username="lea", platform_user_id="igsid-lea")
        comment = make_interaction(target, kind="comment", text="combien ?")
        comment.platform_id = comment_id
        reply_row = make_interaction(target, kind="reply", text="merci")
        reply_row.parent_platform_id = comment_id
        db.session.commit()
        comment_row, reply_row_id = comment.id, reply_row.id
    replied = api.post(f"/interactions/{comment_row}/reply", json={"text": "29 €, on vous écrit en DM !"})
    assert replied.status_code == 201, replied.get_json()
    assert instagram_emulator.public_replies[0]["text"] == "29 €, on vous écrit en DM !"
    nested = api.post(f"/interactions/{reply_row_id}/reply", json={"text": "x"})
    assert nested.status_code == 422 and nested.get_json()["error"]["code"] == "not_allowed_by_platform"
    hidden = api.post(f"/interactions/{comment_row}/hide")
    assert hidden.status_code == 200 and hidden.get_json()["is_hidden"] is True
    assert instagram_emulator.comments[comment_id].hidden is True
    refused = api.post(f"/interactions/{comment_row}/reply", json={"text": "again"})
    assert refused.status_code == 422 and "hidden" in refused.get_json()["error"]["message"]
    assert api.post(f"/interactions/{comment_row}/unhide").get_json()["is_hidden"] is False
    assert instagram_emulator.hide_calls == [(comment_id, True), (comment_id, False)]
    with app.app_context():
        assert db.session.get(Interaction, comment_row).is_hidden is False
    empty = api.post(f"/interactions/{comment_row}/reply", json={"text": "  "})
    assert empty.status_code == 422 and "text" in empty.get_json()["error"]["fields"]
