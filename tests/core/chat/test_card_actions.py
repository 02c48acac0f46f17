"""A card's buttons as core use cases: each one transaction (a refusal leaves nothing half-done)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry, ChatProcessed, DirectMessage, Door, Lead, SocialAccount, User
from core.services.chat import card_actions, cards
from core.services.identity.actors import Actor
from core.services.outreach import dms, templates
from tests.dm_setup import commenter, dm_status, instagram_shop


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def shop(app, factory, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace["id"], quota=1)
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.SLACK)
        yield shop, actor


def _card(target_id: int, shop, actor) -> cards.Card:
    return cards.build(target_id, actor=actor, workspace_id=shop.workspace_id)


def test_a_refused_move_of_a_person_who_is_not_a_lead_leaves_no_lead(shop, instagram_emulator):
    shop, actor = shop
    target, _ = commenter(instagram_emulator, shop)
    note = card_actions.move_lead(_card(target.id, shop, actor), "won", actor=actor)
    assert note and "cannot move from new to won" in note
    assert db.session.scalar(select(func.count(Lead.id)).where(Lead.target_id == target.id)) == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "lead.created")) is None


def test_make_a_lead_and_move_it_is_one_change(shop, instagram_emulator):
    shop, actor = shop
    target, _ = commenter(instagram_emulator, shop)
    assert card_actions.move_lead(_card(target.id, shop, actor), "contacted", actor=actor) is None
    db.session.expire_all()
    lead = db.session.scalar(select(Lead).where(Lead.target_id == target.id))
    assert lead.status == "contacted"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "lead", AuditEntry.subject_id == str(lead.id))
    ).all()
    assert sorted(actions) == ["lead.created", "lead.status_changed"]


def test_approving_with_another_template_sends_it_and_sets_the_draft_aside_together(shop, instagram_emulator):
    shop, actor = shop
    target, _ = commenter(instagram_emulator, shop)
    other, _ = commenter(instagram_emulator, shop)
    template = templates.create(shop.workspace_id, actor=actor, name="Offer", body="Hi {{username}}!")
    draft = dms.create_draft(target.id, actor=actor, text="A draft")
    dms.send_now(other.id, actor=actor, text="Hello")  # today's quota (1) is used up

    note = card_actions.approve(_card(target.id, shop, actor), actor=actor, event_key="hot:1", template_id=template.id)
    assert note and "quota" in note
    assert dm_status(draft.id) == "draft"  # the refusal set nothing aside
    assert db.session.scalar(select(ChatProcessed).where(ChatProcessed.key == "approve:hot:1")) is None

    db.session.get(SocialAccount, shop.account_id).daily_dm_quota = 5
    db.session.commit()
    note = card_actions.approve(_card(target.id, shop, actor), actor=actor, event_key="hot:1", template_id=template.id)
    assert note is None
    assert dm_status(draft.id) == "skipped"
    sent = db.session.scalars(
        select(DirectMessage).where(DirectMessage.target_id == target.id, DirectMessage.id != draft.id)
    ).one()
    assert (sent.status, sent.template_id) == ("sent", template.id)
    # The second tap on the same alert changes nothing, and says so.
    again = card_actions.approve(_card(target.id, shop, actor), actor=actor, event_key="hot:1", template_id=template.id)
    assert again == card_actions.ALREADY_HANDLED
    assert db.session.scalar(select(func.count(DirectMessage.id)).where(DirectMessage.target_id == target.id)) == 2
