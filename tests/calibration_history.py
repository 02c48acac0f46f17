"""A workspace history of sent DMs (answered or not) and closed leads, for the calibration tests."""

from __future__ import annotations

import random
from datetime import timedelta

from core.db import db, utcnow
from core.models import DirectMessage, Lead
from tests.factories import make_account, make_interaction, make_target

# (what they wrote, P(reply within 72 h)): buyers answer far more often than fans.
KINDS = [
    (("comment", "I want to buy, how do I order?"), 0.7),
    (("message", "c'est combien ?"), 0.6),
    (("comment", "how much?"), 0.35),
    (("comment", "love it 😍"), 0.08),
    (("message", "so pretty"), 0.12),
]


def outcome_history(workspace_id: int, people: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = utcnow()
    account = make_account(workspace_id)
    for n in range(people):
        (kind, text), p = KINDS[n % len(KINDS)]
        target = make_target(account, username=f"p{n}")
        sent = now - timedelta(days=5, hours=rng.uniform(0, 48))
        make_interaction(target, kind=kind, text=text, occurred_at=sent - timedelta(hours=2), media_id=f"m{n % 3}")
        replied = sent + timedelta(hours=rng.uniform(1, 60)) if rng.random() < p else None
        db.session.add(
            DirectMessage(
                workspace_id=workspace_id,
                social_account_id=account.id,
                target_id=target.id,
                kind="message",
                text="hi",
                status="sent",
                sent_at=sent,
                replied_at=replied,
            )
        )
        if n % 4 == 0:
            won = rng.random() < p
            db.session.add(Lead(workspace_id=workspace_id, target_id=target.id, status="won" if won else "lost"))
    db.session.commit()
