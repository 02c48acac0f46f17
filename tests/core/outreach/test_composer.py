"""The DM composer: open routes with their deadlines, templates filled per route, drafts and "send now"
by a chosen route, and why no route is open (and when one could be)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.errors import Invalid, NotFound
from core.models import DirectMessage, DmTemplate, Door, SocialAccount, Target, User, Workspace
from core.services.identity.actors import Actor
from core.services.outreach import composer
from core.services.outreach import settings as composer_settings
from core.services.outreach.eligibility import Ineligible
from core.services.workspaces.settings import read as read_settings
from tests.dm_setup import commenter, dm_status, instagram_shop, messenger
from tests.factories import make_account, make_target


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def setup(app, factory, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace["id"], quota=10)
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.CONSOLE)
        yield shop, actor


def _template(workspace_id: int, body: str, name: str = "Hello") -> DmTemplate:
    template = DmTemplate(workspace_id=workspace_id, name=name, body=body)
    db.session.add(template)
    db.session.commit()
    return template


def _both_windows(emu, shop, *, comment_age=timedelta(days=6), message_age=timedelta(hours=2)) -> tuple[Target, str]:
    """A person who commented `comment_age` ago and messaged `message_age` ago."""
    target, comment = commenter(emu, shop, text="how much for the blue one?", age=comment_age)
    target.last_inbound_message_at = utcnow() - message_age
    db.session.commit()
    return target, comment.platform_id


def test_routes_are_offered_with_deadlines_soonest_first(setup, instagram_emulator):
    shop, actor = setup
    target, comment_id = _both_windows(instagram_emulator, shop)
    found = composer.view(target.id, actor=actor)
    assert [r.key for r in found.routes] == ["message", f"comment:{comment_id}"]
    message, reply = found.routes
    assert message.until == target.last_inbound_message_at + timedelta(hours=24)
    assert reply.until == found.routes[1].comment.occurred_at + timedelta(days=7)
    assert reply.label == "Private reply to the comment “how much for the blue one?”"
    assert found.open and found.closed is None and found.can_send_now

    # The message window closes first here; with a comment about to turn 7 days old, the reply does.
    other, _ = _both_windows(instagram_emulator, shop, comment_age=timedelta(days=6, hours=23))
    assert [r.kind for r in composer.view(other.id, actor=actor).routes] == ["private_reply", "message"]


def test_templates_are_filled_for_each_route(setup, instagram_emulator):
    shop, actor = setup
    target, comment_id = _both_windows(instagram_emulator, shop)
    template = _template(shop.workspace_id, "Hi {{username}}, about “{{comment_excerpt}}” — {{account_name}}")
    _template(shop.workspace_id, "x" * 990 + " {{comment_excerpt}}", name="Too long")
    found = composer.view(target.id, actor=actor)
    choices = {choice.template.name: choice for choice in found.templates}
    assert set(choices) == {"Hello (English)", "Bonjour (français)", "Hello", "Too long"}  # with the starters
    filled, too_long = choices["Hello"], choices["Too long"]
    assert filled.template.id == template.id
    text = f"Hi @{target.username}, about “how much for the blue one?” — @acme.shop"
    assert filled.texts == {"message": text, f"comment:{comment_id}": text}
    assert too_long.texts[f"comment:{comment_id}"] is None and "1,000" in too_long.problems[f"comment:{comment_id}"]
    assert found.text_for(template.id, "message") == text and found.text_for(None, "message") == ""


def test_save_draft_by_each_route_and_refusals(setup, instagram_emulator):
    shop, actor = setup
    target, comment_id = _both_windows(instagram_emulator, shop)
    by_message = composer.save_draft(target.id, actor=actor, text="  Hello there  ", route="message")
    assert (by_message.kind, by_message.comment_platform_id, by_message.text) == ("message", None, "Hello there")
    assert by_message.status == "draft" and by_message.created_by_user_id == actor.user_id

    template = _template(shop.workspace_id, "Thanks {{username}}!")
    by_reply = composer.save_draft(target.id, actor=actor, template_id=template.id, route=f"comment:{comment_id}")
    assert (by_reply.kind, by_reply.comment_platform_id) == ("private_reply", comment_id)
    assert by_reply.text == f"Thanks @{target.username}!" and by_reply.template_id == template.id

    # The text as edited wins; the template only records where it came from.
    edited = composer.save_draft(target.id, actor=actor, template_id=template.id, text="Edited", route="message")
    assert edited.text == "Edited" and edited.template_id == template.id

    with pytest.raises(Invalid) as bad_route:
        composer.save_draft(target.id, actor=actor, text="Hi", route="sms")
    assert "route" in bad_route.value.fields
    with pytest.raises(Invalid) as empty:
        composer.save_draft(target.id, actor=actor, text="   ")
    assert "text" in empty.value.fields
    with pytest.raises(Invalid) as unknown:
        composer.save_draft(target.id, actor=actor, template_id=999_999, route="message")
    assert "templateId" in unknown.value.fields
    with pytest.raises(Ineligible, match="not one of this person's comments"):
        composer.save_draft(target.id, actor=actor, text="Hi", route="comment:nope")

    stale, _ = messenger(instagram_emulator, shop, age=timedelta(hours=25))
    with pytest.raises(Ineligible, match="last 24 hours"):
        composer.save_draft(stale.id, actor=actor, text="Hi", route="message")
    count = db.session.query(DirectMessage).count()
    assert count == 3  # no refusal wrote anything


def test_the_default_template_fills_a_draft_without_text(setup, instagram_emulator):
    shop, actor = setup
    target, _ = commenter(instagram_emulator, shop)
    # A new workspace drafts with its English starter template out of the box.
    starter = composer.save_draft(target.id, actor=actor)
    assert starter.text.startswith(f"Hi @{target.username}, thanks for your comment!")
    composer_settings.update(shop.workspace_id, actor=actor, default_template_id=None)
    db.session.delete(db.session.get(DirectMessage, starter.id))
    db.session.commit()
    with pytest.raises(Invalid, match="empty"):
        composer.save_draft(target.id, actor=actor)  # no default any more: nothing to draft with
    template = _template(shop.workspace_id, "Hey {{username}}")
    workspace = db.session.get(Workspace, shop.workspace_id)
    workspace.settings = read_settings(workspace.settings).model_dump() | {"default_template_id": template.id}
    db.session.commit()
    found = composer.view(target.id, actor=actor)
    assert found.default_template_id == template.id
    dm = composer.save_draft(target.id, actor=actor)
    assert dm.text == f"Hey @{target.username}" and dm.kind == "private_reply"


def test_send_now_approves_and_sends_once_by_the_chosen_route(setup, instagram_emulator):
    shop, actor = setup
    target, comment_id = _both_windows(instagram_emulator, shop)
    dm = composer.send_now(target.id, actor=actor, text="Straight away", route=f"comment:{comment_id}")
    assert dm_status(dm.id) == "sent"  # no Redis: the send job ran in-process after the commit
    sent = db.session.get(DirectMessage, dm.id)
    assert sent.approved_by_user_id == actor.user_id and sent.approved_via == "console"
    assert [m["text"] for m in instagram_emulator.sent_messages] == ["Straight away"]
    with pytest.raises(Ineligible, match="already has its one private reply"):
        composer.send_now(target.id, actor=actor, text="Again", route=f"comment:{comment_id}")
    assert len(instagram_emulator.sent_messages) == 1


def test_composer_is_scoped_to_the_actors_workspaces(setup, instagram_emulator, factory):
    shop, actor = setup
    target, _ = commenter(instagram_emulator, shop)
    stranger = factory.user()
    other_ws = factory.workspace(stranger, name="Other")
    outsider = Actor.for_user(db.session.get(User, stranger.user["id"]), Door.CONSOLE)
    with pytest.raises(NotFound):
        composer.view(target.id, actor=outsider)
    with pytest.raises(NotFound):
        composer.save_draft(target.id, actor=outsider, text="Hi")
    with pytest.raises(NotFound):
        composer.view(target.id, actor=actor, workspace_id=other_ws["id"])
    assert db.session.query(DirectMessage).count() == 0


def test_a_member_may_send_now(app, factory, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(owner, workspace["id"])
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace["id"])
        target, _ = commenter(instagram_emulator, shop)
        actor = Actor.for_user(db.session.get(User, member.user["id"]), Door.CONSOLE)
        assert composer.may_approve(workspace["id"], actor) and composer.view(target.id, actor=actor).can_send_now
        assert dm_status(composer.send_now(target.id, actor=actor, text="From a member").id) == "sent"


def test_why_no_route_is_open_and_when_one_could(setup, instagram_emulator):
    shop, actor = setup
    stale, _ = commenter(instagram_emulator, shop, age=timedelta(days=8))
    stale.last_inbound_message_at = utcnow() - timedelta(days=2)
    db.session.commit()
    found = composer.view(stale.id, actor=actor)
    assert not found.open and found.routes == []
    assert "Instagram allows no DM now" in found.closed.why
    assert "comment on a post of @acme.shop" in found.closed.when and "24 hours" in found.closed.when
    assert found.closed.last_comment_until < utcnow() and found.closed.last_message_until < utcnow()

    opted, _ = commenter(instagram_emulator, shop)
    opted.opted_out_at = utcnow()
    db.session.commit()
    assert composer.view(opted.id, actor=actor).closed.when.startswith("Never")

    account = db.session.get(SocialAccount, shop.account_id)
    fresh, _ = commenter(instagram_emulator, shop)
    account.paused = True
    db.session.commit()
    paused = composer.view(fresh.id, actor=actor).closed
    assert "paused" in paused.why and "resumed" in paused.when

    tiktok = make_target(make_account(shop.workspace_id, platform="tiktok"))
    assert "TikTok" in composer.view(tiktok.id, actor=actor).closed.why
