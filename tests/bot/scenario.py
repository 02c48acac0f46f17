"""A workspace with Slack and Telegram linked and a person about to be hot, for the bot gap tests."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from core.db import db
from core.models import ChatMessage, DmTemplate, Target, Workspace
from core.services.targets.rescore import rescore_workspace
from core.services.workspaces.settings import merge
from tests.bot.conftest import SIGNING_SECRET, WEBHOOK_SECRET
from tests.bot.helpers import install_slack, link_telegram
from tests.dm_setup import commenter, instagram_shop

CHAT_ID = 777001
TG_USER = 4242
SLACK_USER = "U0OLIVE"


def chat_config(slack_emulator, telegram_emulator, instagram_emulator) -> dict:
    return (
        slack_emulator.config()
        | telegram_emulator.config()
        | instagram_emulator.config()
        | {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PUBLIC_URL": "http://localhost",
        }
    )


@dataclass
class Shop:
    owner: object
    ws: int
    team: object
    target_id: int = 0
    comment_id: str = ""


def linked_workspace(client, console, factory, slack_emulator, telegram_emulator, *, telegram: bool = True) -> Shop:
    """An owner ("Olive") whose workspace has Slack installed (channel C0ALERTS) and a linked Telegram chat."""
    owner = factory.user(name="Olive")
    ws = factory.workspace(owner)["id"]
    team, _ = install_slack(client, console, slack_emulator, owner, ws)
    slack_emulator.add_user(SLACK_USER, owner.email)
    if telegram:
        link_telegram(client, console, telegram_emulator, owner, ws, CHAT_ID, TG_USER)
    return Shop(owner, ws, team)


def about_to_be_hot(app, instagram_emulator, shop: Shop, *, username: str = "ana", rescore: bool = True) -> Shop:
    """An Instagram account on the emulator, a default template, and `username` asking for the price.

    With `rescore`, the person is made hot now; otherwise the next rescore makes them hot.
    """
    with app.app_context():
        ig = instagram_shop(instagram_emulator, shop.ws)
        template = DmTemplate(workspace_id=shop.ws, name="Price", body="Hi {{username}}, here is the price list!")
        db.session.add(template)
        db.session.flush()
        workspace = db.session.get(Workspace, shop.ws)
        workspace.settings = merge(
            workspace.settings,
            {"default_template_id": template.id, "scoring": {"hot_threshold": 5, "cool_threshold": 1}},
        )
        db.session.commit()
        target, comment = commenter(instagram_emulator, ig, text="how much is it? I want to buy", username=username)
        shop.target_id, shop.comment_id = target.id, comment.platform_id
        if rescore:
            rescore_workspace(shop.ws, full=True)
            assert db.session.get(Target, target.id).is_hot
    return shop


def posted_hot_shop(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator, *, username: str = "ana"
) -> Shop:
    """A linked workspace whose person `username` is hot, with their card posted in Slack and Telegram."""
    from worker.jobs.chat import dispatch_alerts

    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    about_to_be_hot(app, instagram_emulator, shop, username=username)
    with app.app_context():
        assert dispatch_alerts()["posted"] == 2
    return shop


def slack_cards(slack_emulator, username: str = "ana") -> list[dict]:
    return [p for p in slack_emulator.posts() if p.get("channel") == "C0ALERTS" and f"@{username}" in p["text"]]


def telegram_cards(telegram_emulator, username: str = "ana") -> list[dict]:
    return [p for p in telegram_emulator.params("sendMessage") if f"@{username}" in p["text"]]


def card_refs(app, target_id: int) -> dict[str, str]:
    """provider -> message ref (Slack ts, Telegram message id) of the person's posted cards."""
    with app.app_context():
        rows = db.session.scalars(
            select(ChatMessage).where(ChatMessage.target_id == target_id, ChatMessage.kind == "hot")
        ).all()
        return {row.provider: row.message_ref for row in rows if row.message_ref}


def block_action(team_id: str, channel: str, ts: str, action_id: str, value: str, user: str = SLACK_USER) -> dict:
    """A block_actions payload as Slack sends it when a card's button is pressed."""
    action_ts = f"{time.time():.6f}"
    return {
        "type": "block_actions",
        "team": {"id": team_id},
        "user": {"id": user},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": f"trig-{action_ts}",
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "message": {"ts": ts, "text": "card"},
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": action_ts}
        ],
    }


def slash(team_id: str, text: str, user: str = SLACK_USER) -> dict:
    return {
        "token": "legacy",
        "team_id": team_id,
        "channel_id": "C0GENERAL",
        "user_id": user,
        "command": "/vistaflow",
        "text": text,
        "trigger_id": f"trig-{time.time():.6f}",
        "response_url": "http://localhost/x",
    }
