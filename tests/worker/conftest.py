"""Shared fixtures of the worker tests: a workspace with people to sync, deliver or score."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.factories import make_account, make_interaction, make_target


@pytest.fixture
def acme_team(app, factory) -> Callable[..., dict]:
    """Build an owner's workspace with an Instagram account (acme.ig) and `fans` scored people.

    Returns {"owner", "ws", "targets"}; `asked_price` gives each fan a price question on a post.
    """

    def build(*, name: str = "Acme", fans: int = 2, base_score: int = 60, asked_price: bool = False) -> dict:
        owner = factory.user()
        workspace = factory.workspace(owner, name=name)
        targets = []
        with app.app_context():
            account = make_account(workspace["id"], username="acme.ig")
            for i in range(fans):
                reasons = ["asked for the price"] if asked_price else []
                target = make_target(account, username=f"fan_{i}", score=base_score + i, score_reasons=reasons)
                if asked_price:
                    make_interaction(target, text=f"How much is it? #{i}", media_id=f"post{i}")
                targets.append(target.id)
        return {"owner": owner, "ws": workspace["id"], "targets": targets}

    return build
