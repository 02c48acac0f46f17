"""Shared fixtures of the outreach tests: the Instagram emulator as the platform, and a shop with its owner."""

from __future__ import annotations

import pytest

from core.db import db
from core.models import Door, User
from core.services.identity.actors import Actor
from tests.dm_setup import instagram_shop


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def shop_quota() -> int:
    """The daily DM quota of the shop's account; a module overrides it when it needs another."""
    return 5


@pytest.fixture
def shop_owner(app, factory, instagram_emulator, shop_quota):
    """(shop, owner's actor): an owner's workspace with an Instagram account on the emulator.

    The test runs in an app context of its own, pushed after the setup's (a fresh session).
    """
    # Users and workspaces come through the API first: the API caches its caller per app context.
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace["id"], quota=shop_quota)
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.API)
    ctx = app.app_context()
    ctx.push()
    yield shop, actor
    ctx.pop()
