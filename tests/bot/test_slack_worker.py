"""The Slack approve path on Redis with a real RQ worker process: /slack/events only acks and queues;
the worker approves, sends the private reply exactly once, and the cards show "sent"."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from core.db import db
from core.models import DirectMessage, JobRun
from tests.bot.scenario import (
    about_to_be_hot,
    block_action,
    card_refs,
    chat_config,
    linked_workspace,
    slack_cards,
    telegram_cards,
)
from tests.conftest import wait_for


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


@pytest.fixture
def app(redis_app):
    return redis_app


def _sent_update(slack_emulator, ts: str) -> list[dict]:
    return [u for u in slack_emulator.updates() if u["ts"] == ts and "DM sent by @Olive at" in u["text"]]


def test_approve_in_slack_is_done_by_the_worker_once(
    app, client, console, factory, slack, slack_emulator, telegram_emulator, instagram_emulator, start_worker
):
    start_worker(**chat_config(slack_emulator, telegram_emulator, instagram_emulator))
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    wait_for(lambda: telegram_emulator.params("sendMessage"), timeout=30, message="the Telegram link")
    about_to_be_hot(app, instagram_emulator, shop, rescore=False)
    assert shop.owner.post(f"/targets/update/{shop.ws}", json={"full": True}).status_code == 202
    wait_for(lambda: slack_cards(slack_emulator) and telegram_cards(telegram_emulator), timeout=30, message="cards")
    refs = wait_for(lambda: (r := card_refs(app, shop.target_id)).keys() == {"slack", "telegram"} and r, timeout=30)

    click = block_action(shop.team.id, "C0ALERTS", refs["slack"], "vf_approve", str(shop.target_id))
    started = time.monotonic()
    assert slack.action(click).status_code == 200
    assert (
        slack.action(click, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}).status_code
        == 200
    )
    double = block_action(shop.team.id, "C0ALERTS", refs["slack"], "vf_approve", str(shop.target_id))
    assert slack.action(double).status_code == 200
    assert time.monotonic() - started < 3  # Slack's 3 seconds: the web process only acks and queues

    wait_for(lambda: instagram_emulator.sent_messages, timeout=30, message="the private reply")
    wait_for(lambda: _sent_update(slack_emulator, refs["slack"]), timeout=30, message="the Slack card saying sent")
    wait_for(
        lambda: [
            p
            for p in telegram_emulator.params("editMessageText")
            if str(p["message_id"]) == refs["telegram"] and "DM sent by @Olive at" in p["text"]
        ],
        timeout=30,
        message="the Telegram message saying sent",
    )
    time.sleep(1)  # room for a (wrong) second send to show up
    assert len(instagram_emulator.sent_messages) == 1
    assert instagram_emulator.sent_messages[0]["recipient"] == {"comment_id": shop.comment_id}
    with app.app_context():
        sent = db.session.scalars(select(DirectMessage).where(DirectMessage.status == "sent")).all()
        assert len(sent) == 1 and sent[0].approved_via == "slack"
        actions = db.session.scalars(select(JobRun).where(JobRun.kind == "slack.action")).all()
        assert len(actions) == 2  # the retry was dropped at the door; the double click reached the card's key
        assert {run.status for run in actions} == {"finished"}
