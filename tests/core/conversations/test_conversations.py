"""Conversations: built from webhooks (DMs in, echoes from the Instagram app), opt-outs, state, reads, names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.errors import Invalid, NotFound
from core.models import Conversation, DirectMessage, Door, Interaction, SocialAccount, Target, User
from core.services.conversations import threads
from core.services.identity.actors import Actor
from tests.factories import make_account, make_interaction, make_target
from tests.meta_webhook import SECRET, deliver, echo, inbound


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config() | {"META_APP_SECRET": SECRET}


@pytest.fixture
def setup(app, factory, instagram_emulator):
    owner = factory.user()
    workspace_id = factory.workspace(owner)["id"]
    ig_id = instagram_emulator.add_account("maison")
    token = instagram_emulator.issue_token(ig_id)
    with app.app_context():
        account = make_account(workspace_id, platform_user_id=ig_id, access_token=token)
        user_id = db.session.scalar(select(User.id).order_by(User.id.desc()))
        return {"workspace_id": workspace_id, "account_id": account.id, "ig_id": ig_id, "owner": owner, "user": user_id}


def conversation_of(person_id: str) -> Conversation:
    db.session.expire_all()
    target = db.session.scalar(select(Target).where(Target.platform_user_id == person_id))
    return db.session.scalar(select(Conversation).where(Conversation.target_id == target.id))


def test_a_dm_in_opens_a_conversation_named_by_the_user_profile_api(app, client, setup, instagram_emulator):
    ig_id = setup["ig_id"]
    instagram_emulator.add_inbound_message(ig_id, "igsid-marie", "Parfait, je veux commander le coffret")
    instagram_emulator.add_person("igsid-marie", "marie.dupont", "Marie Dupont")
    deliver(client, ig_id, [inbound(ig_id, "igsid-marie", "mid-1", "Parfait, je veux commander le coffret")])
    with app.app_context():
        conversation = conversation_of("igsid-marie")
        assert conversation.state == "open"
        assert conversation.social_account_id == setup["account_id"]
        target = db.session.get(Target, conversation.target_id)
        assert (target.username, target.display_name) == ("marie.dupont", "Marie Dupont")
        assert target.profile_checked_at is not None
        [item] = threads.items(conversation)
        assert (item.direction, item.kind, item.text) == ("in", "message", "Parfait, je veux commander le coffret")
    # Cached: a second message does not ask the User Profile API again.
    deliver(client, ig_id, [inbound(ig_id, "igsid-marie", "mid-2", "Vous livrez à Lyon ?")])
    assert instagram_emulator.profile_lookups == ["igsid-marie"]
    with app.app_context():
        assert [i.text for i in threads.items(conversation_of("igsid-marie"))][-1] == "Vous livrez à Lyon ?"


def test_a_person_known_only_by_username_is_merged_with_the_dm_sender(app, client, setup, instagram_emulator):
    ig_id = setup["ig_id"]
    with app.app_context():
        account = db.session.get(SocialAccount, setup["account_id"])
        alias = make_target(account, username="lea", platform_user_id="@lea")
        make_interaction(alias, kind="mention", text="@maison trop beau")
        alias_id = alias.id
    instagram_emulator.add_inbound_message(ig_id, "igsid-lea", "bonjour", username="lea")
    deliver(client, ig_id, [inbound(ig_id, "igsid-lea", "mid-lea", "bonjour")])
    with app.app_context():
        assert db.session.get(Target, alias_id) is None
        target = db.session.scalar(select(Target).where(Target.platform_user_id == "igsid-lea"))
        assert target.username == "lea"
        kinds = sorted(db.session.scalars(select(Interaction.kind).where(Interaction.target_id == target.id)))
        assert kinds == ["mention", "message"]
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 1


def test_an_echo_from_the_instagram_app_shows_as_sent_by_the_team_once(app, client, setup, instagram_emulator):
    ig_id = setup["ig_id"]
    instagram_emulator.add_inbound_message(ig_id, "igsid-bob", "prix ?", username="bob")
    deliver(client, ig_id, [inbound(ig_id, "igsid-bob", "mid-b1", "prix ?")])
    reply = echo(ig_id, "igsid-bob", "mid-echo-1", "29 € le coffret")
    deliver(client, ig_id, [reply])
    deliver(client, ig_id, [reply])  # Meta redelivers
    with app.app_context():
        conversation = conversation_of("igsid-bob")
        assert conversation.state == "waiting"
        items = threads.items(conversation)
        assert [(i.direction, i.text, i.sent_from) for i in items] == [
            ("in", "prix ?", None),
            ("out", "29 € le coffret", "instagram_app"),
        ]
        assert db.session.scalar(select(func.count()).select_from(DirectMessage)) == 1
    # Their answer puts the conversation back in the team's court.
    deliver(client, ig_id, [inbound(ig_id, "igsid-bob", "mid-b2", "ok je prends")])
    with app.app_context():
        assert conversation_of("igsid-bob").state == "open"


def test_an_opt_out_ends_the_conversation_for_good(app, client, setup, instagram_emulator):
    ig_id = setup["ig_id"]
    deliver(client, ig_id, [inbound(ig_id, "igsid-zoe", "mid-z1", "bonjour")])
    deliver(client, ig_id, [inbound(ig_id, "igsid-zoe", "mid-z2", "STOP")])
    with app.app_context():
        conversation = conversation_of("igsid-zoe")
        assert (conversation.state, conversation.state_reason) == ("done", "opted_out")
        conversation_id = conversation.id
    deliver(client, ig_id, [inbound(ig_id, "igsid-zoe", "mid-z3", "encore une question")])
    with app.app_context():
        assert conversation_of("igsid-zoe").state == "done"
        actor = Actor.for_user(db.session.get(User, setup["user"]), Door.API)
        with pytest.raises(Exception) as refused:
            threads.set_state(conversation_id, actor=actor, state="open")
        assert refused.value.code == "opted_out"


def test_state_assignee_and_unread_per_member(app, client, setup, factory):
    ig_id = setup["ig_id"]
    deliver(client, ig_id, [inbound(ig_id, "igsid-ana", "mid-a1", "hello")])
    outsider = factory.user()
    factory.workspace(outsider, name="Other")
    with app.app_context():
        owner = Actor.for_user(db.session.get(User, setup["user"]), Door.API)
        other_user = db.session.scalar(select(User.id).order_by(User.id.desc()))
        conversation = conversation_of("igsid-ana")
        assert threads.is_unread(conversation, owner.user_id)
        threads.mark_read(conversation.id, actor=owner)
        assert not threads.is_unread(conversation_of("igsid-ana"), owner.user_id)
        with pytest.raises(Invalid) as bad:
            threads.set_state(conversation.id, actor=owner, state="closed", assignee_id=other_user)
        assert set(bad.value.fields) == {"state", "assigneeId"}
        assert conversation_of("igsid-ana").state == "open"  # nothing half-written
        changed = threads.set_state(conversation.id, actor=owner, state="done", assignee_id=owner.user_id)
        assert (changed.state, changed.assignee_user_id) == ("done", owner.user_id)
        with pytest.raises(NotFound):
            threads.get(conversation.id, actor=Actor.for_user(db.session.get(User, other_user), Door.API))
    deliver(client, ig_id, [inbound(ig_id, "igsid-ana", "mid-a2", "still there?")])
    with app.app_context():
        conversation = conversation_of("igsid-ana")
        assert conversation.state == "open"
        assert threads.is_unread(conversation, setup["user"])
        assert conversation.last_inbound_at > utcnow() - timedelta(minutes=1)
