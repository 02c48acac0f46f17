"""Automations run against the Instagram emulator with signed Meta webhooks (fixtures of the outreach tests)."""

from __future__ import annotations

import pytest

from tests.console.collection.test_webhooks_meta import SECRET
from tests.core.outreach.conftest import shop_owner, shop_quota  # noqa: F401 (fixtures)


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config() | {"META_APP_SECRET": SECRET, "META_WEBHOOK_VERIFY_TOKEN": "verify"}
