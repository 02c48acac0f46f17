"""Acceptance: a signed comment webhook from a new clear buyer becomes the hot card in Slack and
Telegram within seconds, through a real RQ worker, with no collection and no periodic job running."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from core.db import db
from core.models import JobRun, Target
from core.services.targets import hot_path
from tests.bot.scenario import chat_config, linked_workspace, slack_cards, telegram_cards
from tests.conftest import wait_for
from tests.console.collection.test_webhooks_meta import SECRET, sign
from tests.dm_setup import instagram_shop


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator) | {"META_APP_SECRET": SECRET}


@pytest.fixture
def app(redis_app):
    return redis_app


def _comment(ig_user_id: str, media_id: str, text: str) -> bytes:
    value = {
        "from": {"id": "17841499990001", "username": "clara.buys"},
        "media": {"id": media_id, "media_product_type": "FEED"},
        "id": "18011112222333444",
        "text": text,
        "timestamp": int(time.time()),
    }
    entry = {"id": ig_user_id, "time": int(time.time()), "changes": [{"field": "comments", "value": value}]}
    return json.dumps({"object": "instagram", "entry": [entry]}).encode()


def test_a_buying_comment_webhook_is_a_hot_card_in_slack_and_telegram_in_seconds(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator, start_worker
):
    start_worker(**chat_config(slack_emulator, telegram_emulator, instagram_emulator))
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    wait_for(lambda: telegram_emulator.params("sendMessage"), timeout=30, message="the Telegram link")
    with app.app_context():
        ig = instagram_shop(instagram_emulator, shop.ws)

    body = _comment(ig.ig_user_id, ig.media_id, "Je veux commander celui-ci, how do I order? 😍")
    response = client.post(
        "/webhooks/meta", data=body, headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
    )
    assert response.status_code == 200 and response.get_json()["stored"] == 1

    wait_for(lambda: slack_cards(slack_emulator, "clara.buys"), timeout=20, message="the Slack hot card")
    wait_for(lambda: telegram_cards(telegram_emulator, "clara.buys"), timeout=20, message="the Telegram hot card")
    with app.app_context():
        target = db.session.scalar(select(Target).where(Target.username == "clara.buys"))
        assert target.is_hot and target.score >= 70  # the default threshold
        kinds = set(db.session.scalars(select(JobRun.kind)))
        assert hot_path.KIND in kinds
        # Nothing else scored them: no collection, no hourly pass, no manual rescore.
        assert not {k for k in kinds if k.startswith("collect")} | (kinds & {"rescore-targets", "rescore"})
