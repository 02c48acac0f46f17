"""dms.send with an idempotency key: one mechanism (the DM's own key, in the DM's transaction) answers
retries with the first DM, refuses a key reused for another request, and stores nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import Invalid
from core.models import DirectMessage, Door, IdempotencyRecord, User
from core.services.actors import Actor
from core.services.outreach import dms
from tests.dm_setup import commenter, instagram_shop


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def setup(app, factory, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace["id"], quota=5)
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.API)
        people = [commenter(instagram_emulator, shop)[0].id for _ in range(2)]
        yield actor, people


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
