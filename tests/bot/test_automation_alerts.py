"""A rule that asks for it tells the team in chat each time it answers a comment; a chat that switched automation
alerts off hears nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Door, SlackInstallation, User
from core.services.identity.actors import Actor
from tests.automation_setup import comment_webhook, rule, run_passes
from tests.bot.helpers import install_slack
from tests.bot.scenario import chat_config
from tests.console.collection.test_webhooks_meta import SECRET
from tests.dm_setup import instagram_shop


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator) | {"META_APP_SECRET": SECRET}


def _shop(app, client, console, factory, slack_emulator, instagram_emulator):
    owner = factory.user(name="Olive")
    ws = factory.workspace(owner, name="Shop")["id"]
    install_slack(client, console, slack_emulator, owner, ws)
    with app.app_context():
        shop = instagram_shop(instagram_emulator, ws, quota=5)
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.API)
    return shop, actor


@pytest.mark.parametrize("mode", ["automatic", "review"])
def test_each_answer_is_told_in_slack(app, client, console, factory, slack_emulator, instagram_emulator, mode):
    shop, actor = _shop(app, client, console, factory, slack_emulator, instagram_emulator)
    with app.app_context():
        rule(shop, actor, mode=mode, chatAlert=True)
    comment_webhook(client, instagram_emulator, shop, "Quel est le prix ?")
    run_passes(app)
    [text] = [p["text"] for p in slack_emulator.posts() if "Rule “Price”" in p["text"]]
    if mode == "automatic":
        assert "queued a DM to @fan_" in text and "“Quel est le prix ?”" in text
    else:
        assert "drafted a DM to @fan_" in text and "waits in the DM queue" in text


def test_a_chat_with_automation_alerts_off_hears_nothing(
    app, client, console, factory, slack_emulator, instagram_emulator
):
    shop, actor = _shop(app, client, console, factory, slack_emulator, instagram_emulator)
    with app.app_context():
        installation = db.session.scalar(select(SlackInstallation))
        installation.alerts = {**(installation.alerts or {}), "automation": False}
        db.session.commit()
        rule(shop, actor, chatAlert=True)
    comment_webhook(client, instagram_emulator, shop, "price?")
    run_passes(app)
    assert not [p for p in slack_emulator.posts() if "Rule “Price”" in p["text"]]
    assert len(instagram_emulator.sent_messages) == 1  # the rule still answered
