"""The do-not-contact list: one-way hashes, idempotent, and waiting DMs cancelled."""

from __future__ import annotations

from core.db import db
from core.models import DirectMessage, DoNotContact
from core.services.privacy import contact_policy
from tests.factories import make_account, make_target


def test_block_is_idempotent_hashed_and_cancels_waiting_dms(app_ctx, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    account = make_account(workspace["id"])
    target = make_target(account, platform_user_id="17840000001")
    draft = DirectMessage(
        workspace_id=target.workspace_id,
        social_account_id=account.id,
        target_id=target.id,
        kind="private_reply",
        text="hi",
        status="draft",
    )
    sent = DirectMessage(
        workspace_id=target.workspace_id,
        social_account_id=account.id,
        target_id=target.id,
        kind="message",
        text="hi",
        status="sent",
    )
    db.session.add_all([draft, sent])
    db.session.commit()

    assert contact_policy.block(target, "opt_out") is True
    db.session.commit()
    assert contact_policy.block(target, "opt_out") is False
    db.session.commit()

    rows = db.session.query(DoNotContact).all()
    assert len(rows) == 1 and "17840000001" not in rows[0].person_hash and len(rows[0].person_hash) == 64
    assert contact_policy.is_blocked(target.workspace_id, "instagram", "17840000001")
    assert not contact_policy.is_blocked(target.workspace_id + 1, "instagram", "17840000001")
    db.session.refresh(draft)
    db.session.refresh(sent)
    assert draft.status == "cancelled" and sent.status == "sent"
    assert target.opted_out_at is not None
