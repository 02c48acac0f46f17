"""A suspended workspace: every Slack/Telegram action and command is answered "suspended", nothing is
done, and no alert, digest or card refresh is posted for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.db import db, utcnow
from core.models import ChatMessage, DirectMessage, Workspace
from core.services.chat import digest
from core.services.workspaces.status import SUSPENDED
from tests.bot.helpers import telegram_update, tg_callback, tg_message
from tests.bot.scenario import CHAT_ID, TG_USER, about_to_be_hot, block_action, chat_config, linked_workspace, slash
from worker.jobs.chat import dispatch_alerts


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


def _suspend(app, workspace_id: int) -> None:
    with app.app_context():
        db.session.get(Workspace, workspace_id).suspended_at = utcnow()
        db.session.commit()


@pytest.fixture
def suspended_shop(app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    about_to_be_hot(app, instagram_emulator, shop)
    _suspend(app, shop.ws)
    return shop


def test_slack_commands_and_buttons_answer_suspended_and_do_nothing(
    app, slack, slack_emulator, instagram_emulator, suspended_shop
):
    shop = suspended_shop
    for text in ("quota", "hot", "lead 1 won", "help", ""):
        assert slack.command(slash(shop.team.id, text)).status_code == 200
        answer = slack_emulator.ephemerals()[-1]
        assert answer["user"] == "U0OLIVE" and answer["text"] == SUSPENDED, text
    asked = len(slack_emulator.ephemerals())
    for action, value in (
        ("vf_approve", str(shop.target_id)),
        ("vf_skip", str(shop.target_id)),
        ("vf_lead", f"{shop.target_id}:won"),
    ):
        assert slack.action(block_action(shop.team.id, "C0ALERTS", "1.000001", action, value)).status_code == 200
        assert slack_emulator.ephemerals()[-1]["text"] == SUSPENDED, action
    assert len(slack_emulator.ephemerals()) == asked + 3
    assert instagram_emulator.sent_messages == [] and slack_emulator.updates() == []
    with app.app_context():
        statuses = set(db.session.scalars(select(DirectMessage.status)))
        assert statuses <= {"draft"}


def test_telegram_commands_and_taps_answer_suspended(app, client, telegram_emulator, suspended_shop):
    shop = suspended_shop
    for text in ("/hot", "/leads", "/quota", "/help", "/start", "/lead 1 won"):
        assert telegram_update(client, tg_message(CHAT_ID, TG_USER, text)).status_code == 200
        assert telegram_emulator.params("sendMessage")[-1]["text"] == SUSPENDED, text
    for data in (f"ap:{shop.target_id}", f"sk:{shop.target_id}", f"lv:{shop.target_id}:won", f"ls:{shop.target_id}"):
        tap = tg_callback(CHAT_ID, TG_USER, 555, data)
        assert telegram_update(client, tap).status_code == 200
        answer = telegram_emulator.params("answerCallbackQuery")[-1]
        assert answer["callback_query_id"] == tap["callback_query"]["id"] and answer["text"] == SUSPENDED, data
    assert telegram_emulator.params("editMessageText") == []


def test_no_alert_digest_or_late_post_for_a_suspended_workspace(app, slack_emulator, telegram_emulator, suspended_shop):
    shop = suspended_shop
    with app.app_context():
        result = dispatch_alerts()
        assert result["posted"] == 0 and result["events"] >= 1  # the target.hot event was read, and skipped
        assert db.session.scalar(select(ChatMessage)) is None
        assert digest.record_due(force=True) == []

        # A message recorded just before the suspension is dropped, not retried every minute or posted late.
        db.session.add(
            ChatMessage(workspace_id=shop.ws, provider="slack", chat_id="C0ALERTS", kind="digest", event_key="d-1")
        )
        db.session.commit()
        db.session.execute(update(ChatMessage).values(updated_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
        assert dispatch_alerts()["retried"] == 1
        assert db.session.scalar(select(ChatMessage.status)) == "dropped"
        assert dispatch_alerts()["retried"] == 0
    assert [p for p in slack_emulator.posts() if p.get("channel") == "C0ALERTS"] == []
    assert not [p for p in telegram_emulator.params("sendMessage") if "@ana" in p["text"]]
