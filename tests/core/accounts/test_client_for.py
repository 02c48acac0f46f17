"""client_for(account): the decrypted token reaches the platform, and only for connected accounts."""

from __future__ import annotations

import pytest

from core.db import db
from core.errors import Conflict
from core.models import SocialAccount
from core.services.accounts.connected import client_for
from tests.social import seed_account


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


def test_client_for_builds_a_working_instagram_client(app, factory, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    ig_id = instagram_emulator.add_account("acme.shop")
    token = instagram_emulator.issue_token(ig_id)
    account_id = seed_account(app, workspace["id"], platform_user_id=ig_id, token=token)
    with app.app_context():
        account = db.session.get(SocialAccount, account_id)
        client = client_for(account)
        assert client.profile().username == "acme.shop"
        assert token not in repr(client)
        account.status = "needs_reconnect"
        with pytest.raises(Conflict):
            client_for(account)


def test_clients_share_one_usage_tracker_per_app(app_ctx, factory):
    from core.services.accounts.connected import client_for
    from tests.factories import make_account

    owner = factory.user()
    workspace = factory.workspace(owner)
    first = client_for(make_account(workspace["id"]))
    second = client_for(make_account(workspace["id"], platform="tiktok"))
    assert first.http.usage is not None and first.http.usage is second.http.usage


def test_usage_tracker_goes_through_redis_when_configured(redis_app):
    from core.services.accounts.connected import usage_tracker

    with redis_app.app_context():
        assert usage_tracker().redis is not None
