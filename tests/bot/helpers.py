"""Shared steps of the bot tests, through the real doors (console, /slack/*, /telegram/webhook)."""

from __future__ import annotations

import itertools
import time
from urllib.parse import parse_qs, urlsplit

from tests.bot.conftest import WEBHOOK_SECRET

_ids = itertools.count(1000)


def ensure_login(console, email: str) -> None:
    if console.client.get("/login").status_code == 200:  # a signed-in browser is redirected away
        console.login(email)


def install_slack(client, console, slack_emulator, owner, workspace_id: int, team=None, channel: str = "C0ALERTS"):
    """Add to Slack from the console, follow Slack's redirect with a code, and choose the alerts channel."""
    ensure_login(console, owner.email)
    response = client.get(f"/slack/install?workspace_id={workspace_id}")
    assert response.status_code == 302, response.get_data(as_text=True)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    team = team or slack_emulator.team()
    code = slack_emulator.authorize(team)
    done = client.get(f"/slack/oauth_redirect?code={code}&state={query['state'][0]}")
    assert done.status_code == 303, done.get_data(as_text=True)
    page = f"/w/{workspace_id}/chat"
    saved = console.post_form(
        page, {"channel": f"{channel}|vistaflow-alerts"}, action=f"/w/{workspace_id}/chat/slack/channel"
    )
    assert saved.status_code == 303
    return team, query


def telegram_update(client, body: dict, secret: str = WEBHOOK_SECRET):
    return client.post("/telegram/webhook", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": secret})


def tg_message(chat_id: int, user_id: int, text: str, chat_type: str = "private") -> dict:
    return {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "text": text,
            "chat": {"id": chat_id, "type": chat_type, "title": "Sales" if chat_type != "private" else None},
            "from": {"id": user_id, "is_bot": False, "first_name": "Tess"},
        },
    }


def tg_callback(chat_id: int, user_id: int, message_id: int, data: str) -> dict:
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": f"cbq-{next(_ids)}",
            "data": data,
            "chat_instance": "ci",
            "from": {"id": user_id, "is_bot": False, "first_name": "Tess"},
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": "card",
            },
        },
    }


def link_telegram(client, console, telegram_emulator, user, workspace_id: int, chat_id: int, tg_user_id: int):
    """Get a link code in the console (as `user`) and send /start <code> from the chat."""
    ensure_login(console, user.email)
    page = console.post_form(f"/w/{workspace_id}/chat", {}, action=f"/w/{workspace_id}/chat/telegram/code")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    code = html.split("?start=")[1].split('"')[0]
    response = telegram_update(client, tg_message(chat_id, tg_user_id, f"/start {code}"))
    assert response.status_code == 200
    return code
