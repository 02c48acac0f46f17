"""dms.send with an idempotency key: one mechanism (the DM's own key, in the DM's transaction) answers
retries with the first DM, refuses a key reused for another request, and stores nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import Invalid
from core.models import DirectMessage, IdempotencyRecord
from core.services.outreach import dms
from tests.dm_setup import commenter


@pytest.fixture
def setup(shop_owner, instagram_emulator):
    shop, actor = shop_owner
    return actor, [commenter(instagram_emulator, shop)[0].id for _ in range(2)]


def test_a_repeated_key_returns_the_first_dm_and_queues_nothing(setup, instagram_emulator):
    actor, (person, other) = setup
    first = dms.send(person, actor=actor, text="Hello!", idempotency_key="k-1")
    assert not first.replayed
    again = dms.send(person, actor=actor, text=" Hello! ", idempotency_key="k-1")
    assert again.replayed and again.dm.id == first.dm.id
    assert len(instagram_emulator.sent_messages) == 1
    with pytest.raises(Invalid) as refused:
        dms.send(other, actor=actor, text="Hello!", idempotency_key="k-1")
    assert "Idempotency-Key" in refused.value.fields
    with pytest.raises(Invalid):
        dms.send(person, actor=actor, text="Something else", idempotency_key="k-1")
    assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    assert db.session.scalar(select(func.count()).select_from(DirectMessage)) == 1


def test_the_longest_key_fits_and_a_longer_one_is_refused(setup):
    actor, (person, _) = setup
    long_key = "x" * dms.MAX_KEY
    first = dms.send(person, actor=actor, text="Hi", idempotency_key=long_key)
    assert dms.send(person, actor=actor, text="Hi", idempotency_key=long_key).dm.id == first.dm.id
    with pytest.raises(Invalid) as refused:
        dms.send(person, actor=actor, text="Hi", idempotency_key=long_key + "x")
    assert "Idempotency-Key" in refused.value.fields
