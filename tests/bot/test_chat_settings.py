"""Chat settings at work: the channel picked from conversations.list, per-destination alert switches,
the daily digest at 09:00 local time, and tokens_revoked / app_uninstalled disabling the install."""

from __future__ import annotations

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import events
from core.db import db, utcnow
from core.models import ChatMessage, DirectMessage, LeadEvent, SlackInstallation, TelegramChat
from core.services.chat import digest
from tests.bot.scenario import (
    CHAT_ID,
    about_to_be_hot,
    chat_config,
    linked_workspace,
    slack_cards,
    telegram_cards,
)
from tests.factories import make_account, make_target
from worker.jobs.chat import dispatch_alerts, post_digests, post_message


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


def _switches(console, ws: int, action: str, on: set[str]):
    response = console.post_form(f"/w/{ws}/chat", {kind: "on" for kind in on}, action=action)
    assert response.status_code == 303
    return response


def test_the_alerts_channel_is_picked_from_conversations_list(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator
):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator, telegram=False)
    page = client.get(f"/w/{shop.ws}/chat").get_data(as_text=True)
    assert slack_emulator.params("conversations.list"), "the page asks Slack for the channels"
    assert 'value="C0GENERAL|general"' in page and 'value="C0ALERTS|vistaflow-alerts"' in page
    assert "#general" in page

    response = console.post_form(
        f"/w/{shop.ws}/chat", {"channel": "C0GENERAL|general"}, action=f"/w/{shop.ws}/chat/slack/channel"
    )
    assert response.status_code == 303
    assert "alerts go to <strong>#general</strong>" in client.get(f"/w/{shop.ws}/chat").get_data(as_text=True)
    about_to_be_hot(app, instagram_emulator, shop)
    with app.app_context():
        assert dispatch_alerts()["posted"] == 1
    [card] = [p for p in slack_emulator.posts() if "@ana" in p["text"]]
    assert card["channel"] == "C0GENERAL"


def test_each_destination_has_its_own_alert_switches(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator
):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    with app.app_context():
        chat_row = db.session.scalar(select(TelegramChat.id))
    # Slack: no hot target cards; Telegram: no reconnect alerts.
    _switches(console, shop.ws, f"/w/{shop.ws}/chat/slack/alerts", {"dm_replied", "needs_reconnect", "digest"})
    _switches(console, shop.ws, f"/w/{shop.ws}/chat/telegram/{chat_row}/alerts", {"hot", "dm_replied", "digest"})
    with app.app_context():
        assert db.session.scalar(select(SlackInstallation.alerts))["hot"] is False
        assert db.session.scalar(select(TelegramChat.alerts))["needs_reconnect"] is False

    about_to_be_hot(app, instagram_emulator, shop)
    with app.app_context():
        events.emit(
            "account.needs_reconnect",
            shop.ws,
            {"account_id": 1, "platform": "instagram", "username": "acme.shop", "reason": "token expired"},
        )
        db.session.commit()
        assert dispatch_alerts()["posted"] == 2

    assert slack_cards(slack_emulator) == [] and len(telegram_cards(telegram_emulator)) == 1
    reconnect = [p for p in slack_emulator.posts() if "needs to be reconnected" in p["text"]]
    assert len(reconnect) == 1 and reconnect[0]["channel"] == "C0ALERTS"
    assert not [p for p in telegram_emulator.params("sendMessage") if "needs to be reconnected" in p["text"]]


def _last_nine_oclock(zone: str):
    """The latest moment, at or before now, when it was 09:00 in `zone` (aware)."""
    local = utcnow().astimezone(ZoneInfo(zone))
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    return nine if nine <= local else nine - timedelta(days=1)


def test_the_daily_digest_is_posted_at_nine_local_time_once_with_the_days_numbers(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator
):
    owner = factory.user(name="Olive")
    tokyo = factory.workspace(owner, name="Tokyo shop", time_zone="Asia/Tokyo")["id"]
    from tests.bot.helpers import install_slack, link_telegram

    install_slack(client, console, slack_emulator, owner, tokyo)
    link_telegram(client, console, telegram_emulator, owner, tokyo, CHAT_ID, 4242)
    with app.app_context():
        chat_row = db.session.scalar(select(TelegramChat.id))
    _switches(console, tokyo, f"/w/{tokyo}/chat/telegram/{chat_row}/alerts", {"hot", "dm_replied", "needs_reconnect"})

    # The day's activity: a new hot target, a DM sent and replied to, a lead moved; and a hot one from last week.
    from tests.bot.scenario import Shop

    shop = about_to_be_hot(app, instagram_emulator, Shop(owner, tokyo, None))
    response = owner.post("/dm/send", json={"targetId": shop.target_id, "text": "Hi ana!"})
    assert response.status_code == 202, response.get_json()
    with app.app_context():
        dm = db.session.scalar(select(DirectMessage).where(DirectMessage.status == "sent"))
        assert dm is not None
        dm.replied_at = utcnow()
        old = make_target(make_account(tokyo), username="old_fan")
        old.is_hot, old.hot_since = True, utcnow() - timedelta(days=6)
        db.session.commit()
        old_id = old.id
    lead = owner.post(f"/leads/workspace/{tokyo}", json={"targetId": old_id})
    assert lead.status_code == 201, lead.get_json()
    moved_now = owner.put(f"/leads/{lead.get_json()['id']}/status", json={"status": "contacted"})
    assert moved_now.status_code == 200, moved_now.get_json()
    with app.app_context():
        moved = len(db.session.scalars(select(LeadEvent).where(LeadEvent.kind == "status_changed")).all())
        assert moved >= 1

    nine = _last_nine_oclock("Asia/Tokyo")
    with app.app_context():
        assert digest.record_due(nine - timedelta(hours=1)) == []  # 08:00 in Tokyo: not yet
        made = digest.record_due(nine + timedelta(minutes=5))
        assert len(made) == 1  # Slack only: the Telegram chat switched the digest off
        assert digest.record_due(nine + timedelta(minutes=40)) == []  # once a day
        assert post_digests()["digests"] == 0  # the hourly job, whatever the hour now, adds nothing for today
        assert post_message(made[0])["posted"] is True

    [text] = [p["text"] for p in slack_emulator.posts() if "Daily digest" in p["text"]]
    assert "Daily digest for Tokyo shop" in text
    leads_moved = "1 lead moved" if moved == 1 else f"{moved} leads moved"  # plural forms done right
    assert f"1 new hot target, 1 DM sent, 1 reply, {leads_moved}" in text
    assert not [p for p in telegram_emulator.params("sendMessage") if "Daily digest" in p["text"]]


def test_the_daily_digest_job_respects_each_time_zone(app, client, console, factory, slack_emulator):
    owner = factory.user()
    from tests.bot.helpers import install_slack

    spaces = {}
    for zone, team_id, name in (("Asia/Tokyo", "T0TOKYO", "Tokyo"), ("America/New_York", "T0NYC", "New York")):
        spaces[zone] = factory.workspace(owner, name=name, time_zone=zone)["id"]
        install_slack(client, console, slack_emulator, owner, spaces[zone], team=slack_emulator.team(team_id, name))

    def digests_at(moment) -> list[tuple[int, str]]:
        made = digest.record_due(moment)
        rows = db.session.scalars(select(ChatMessage).where(ChatMessage.id.in_(made))).all()
        return [(row.workspace_id, row.event_key) for row in rows]

    with app.app_context():
        nine_tokyo = _last_nine_oclock("Asia/Tokyo")
        tokyo, ny = spaces["Asia/Tokyo"], spaces["America/New_York"]
        assert digests_at(nine_tokyo) == [(tokyo, f"digest:{tokyo}:{nine_tokyo.date().isoformat()}")]
        # 09:00 in New York is another instant: only New York gets its digest then.
        nine_ny = _last_nine_oclock("America/New_York")
        # Both local dates may be the same day (the Slack emulator gives both teams the same channel id).
        assert digests_at(nine_ny) == [(ny, f"digest:{ny}:{nine_ny.date().isoformat()}")]


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT0001"]}},
    ],
    ids=["app_uninstalled", "tokens_revoked"],
)
def test_uninstall_or_revoked_bot_token_disables_the_install_and_its_alerts(
    app, client, console, factory, slack, slack_emulator, telegram_emulator, instagram_emulator, event
):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    body = {
        "token": "legacy",
        "team_id": shop.team.id,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": f"Ev{time.time_ns()}",
        "event_time": int(time.time()),
        "event": event,
    }
    assert slack.event(body).status_code == 200
    with app.app_context():
        installation = db.session.scalar(select(SlackInstallation))
        assert installation.disabled_at is not None and not installation.is_active
    about_to_be_hot(app, instagram_emulator, shop)
    with app.app_context():
        assert dispatch_alerts()["posted"] == 1  # Telegram only
    assert slack_cards(slack_emulator) == [] and len(telegram_cards(telegram_emulator)) == 1


def test_revoking_only_user_tokens_keeps_the_install(app, client, console, factory, slack, slack_emulator):
    shop = linked_workspace(client, console, factory, slack_emulator, None, telegram=False)
    body = {
        "token": "legacy",
        "team_id": shop.team.id,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": "EvUserOnly",
        "event_time": int(time.time()),
        "event": {"type": "tokens_revoked", "tokens": {"oauth": ["U0OLIVE"]}},
    }
    assert slack.event(body).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(SlackInstallation)).is_active
