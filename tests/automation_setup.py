"""Test helpers for automations: a comment arriving by a signed Meta webhook, the passes the clock runs, a rule."""

from __future__ import annotations

import json
import time
from itertools import count

from sqlalchemy import select

from core.db import db
from core.models import AutomationTrigger, DmTemplate
from core.services.automations import rules
from tests.console.collection.test_webhooks_meta import sign
from tests.dm_setup import Shop
from vistaflow.clock import Clock

_people = count(1)


def comment_webhook(client, emu, shop: Shop, text: str, *, user: str | None = None, comment_id: str | None = None):
    """A person comments on the shop's post (in the emulator) and Meta's signed webhook tells us; returns the
    comment's id."""
    n = next(_people)
    user = user or f"77{n:08d}"
    comment_id = comment_id or emu.add_comment(shop.media_id, text, f"fan_{user}", user)
    value = {
        "from": {"id": user, "username": f"fan_{user}"},
        "media": {"id": shop.media_id, "media_product_type": "FEED"},
        "id": comment_id,
        "text": text,
    }
    entry = {"id": shop.ig_user_id, "time": int(time.time()), "changes": [{"field": "comments", "value": value}]}
    body = json.dumps({"object": "instagram", "entry": [entry]}).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
    response = client.post("/webhooks/meta", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return comment_id


def run_passes(app) -> int:
    """Run what the single-process clock has due on the interactive lane (rescore, then the automation pass)."""
    clock = Clock(app, schedule=[], holder="automation-tests")
    assert clock.hold_lease()
    return clock.run_due("interactive")


def template(workspace_id: int, name: str, body: str) -> int:
    found = db.session.scalar(
        select(DmTemplate).where(DmTemplate.workspace_id == workspace_id, DmTemplate.name == name)
    )
    if found is None:
        found = DmTemplate(workspace_id=workspace_id, name=name, body=body)
        db.session.add(found)
        db.session.commit()
    return found.id


def rule(shop: Shop, actor, **spec):
    """An active rule answering "price" with one variant, unless `spec` says otherwise."""
    first = template(shop.workspace_id, "Price list", "Hi {{username}}, here is our price list.")
    base = {
        "name": "Price",
        "trigger": {"on": ["comment"], "keywords": ["price", "prix"]},
        "variants": [{"templateId": first, "weight": 100}],
        "mode": "automatic",
        "active": True,
        "exclude": {"customers": True},
    }
    return rules.create(shop.workspace_id, base | spec, actor=actor)


def triggers(workspace_id: int) -> list[AutomationTrigger]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AutomationTrigger)
            .where(AutomationTrigger.workspace_id == workspace_id)
            .order_by(AutomationTrigger.id)
        )
    )


def sent_by_rule(account, rule_id: int, variant_id: int | None, *, sent_at, replied_at=None):
    """A person whose comment the rule answered with a DM sent at `sent_at` (no commit); returns the target."""
    from datetime import timedelta

    from core.models import DirectMessage
    from tests.factories import make_interaction, make_target

    target = make_target(account)
    comment = make_interaction(target, text="price?", occurred_at=sent_at - timedelta(minutes=2))
    dm = DirectMessage(
        workspace_id=account.workspace_id,
        social_account_id=account.id,
        target_id=target.id,
        kind="private_reply",
        comment_platform_id=comment.platform_id,
        text="hi",
        status="sent",
        sent_at=sent_at,
        replied_at=replied_at,
    )
    db.session.add(dm)
    db.session.flush()
    db.session.add(
        AutomationTrigger(
            workspace_id=account.workspace_id,
            interaction_id=comment.id,
            rule_id=rule_id,
            variant_id=variant_id,
            target_id=target.id,
            dm_id=dm.id,
            outcome="queued",
            created_at=sent_at - timedelta(minutes=1),
        )
    )
    return target
