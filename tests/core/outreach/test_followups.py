"""Hooks from ingest and scoring: replies stop sequences and move leads; hot targets get drafts."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db, utcnow
from core.models import DirectMessage, Lead, SocialAccount, Workspace
from core.services.collection.ingest import Incoming, store
from core.services.outreach import dms, followups, templates
from core.services.workspaces.settings import read as read_settings
from tests.dm_setup import commenter, dm_status


def test_ingested_answer_marks_dm_replied_and_lead_replied(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    db.session.add(Lead(workspace_id=shop.workspace_id, target_id=target.id, status="new"))
    db.session.commit()
    dm = dms.send_now(target.id, actor=actor, text="Hello")
    assert dm_status(dm.id) == "sent"
    account = db.session.get(SocialAccount, shop.account_id)
    store(
        account,
        [
            Incoming(
                platform_id="m-answer-1",
                kind="message",
                occurred_at=utcnow(),
                author_platform_id=target.platform_user_id,
                author_username=target.username,
                text="yes, tell me more",
            )
        ],
        source="webhook",
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(DirectMessage, dm.id).replied_at is not None
    assert db.session.scalar(select(Lead)).status == "replied"


def test_ingested_stop_word_cancels_draft_with_event(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    target, _ = commenter(instagram_emulator, shop)
    draft = dms.create_draft(target.id, actor=actor, text="Hello")
    account = db.session.get(SocialAccount, shop.account_id)
    store(
        account,
        [
            Incoming(
                platform_id="m-stop-1",
                kind="message",
                occurred_at=utcnow(),
                author_platform_id=target.platform_user_id,
                text="stop",
            )
        ],
        source="webhook",
    )
    db.session.commit()
    assert dm_status(draft.id) == "cancelled"


def test_hot_targets_get_a_draft_with_the_default_template(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    template = templates.create(shop.workspace_id, actor=actor, name="Hot", body="Hi {{username}}, thanks!")
    workspace = db.session.get(Workspace, shop.workspace_id)
    workspace.settings = read_settings(workspace.settings).model_dump() | {"default_template_id": template.id}
    db.session.commit()
    eligible, _ = commenter(instagram_emulator, shop)
    assert followups.add_hot_drafts([eligible.id]) == 1
    assert followups.add_hot_drafts([eligible.id]) == 0  # one waiting draft per person is enough
    db.session.commit()
    draft = db.session.scalar(select(DirectMessage).where(DirectMessage.target_id == eligible.id))
    assert draft.status == "draft" and draft.text == f"Hi @{eligible.username}, thanks!"
