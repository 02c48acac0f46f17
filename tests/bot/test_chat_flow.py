"""End to end: a comment on the Instagram emulator becomes a hot target, a Slack card and a Telegram
message; approving in Slack sends the private reply exactly once and both show "sent"; the lead moved
from Telegram shows in the console."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from core.db import db
from core.models import ChatMessage, DirectMessage, DmTemplate, Lead, Target, Workspace
from core.services.targets.rescore import rescore_workspace
from core.services.workspaces.settings import merge
from tests.bot.helpers import install_slack, link_telegram, telegram_update, tg_callback
from tests.dm_setup import commenter, instagram_shop
from worker.jobs.chat import dispatch_alerts

CHAT_ID = 777001
TG_USER = 4242


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    from tests.bot.conftest import SIGNING_SECRET, WEBHOOK_SECRET

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


def _hot_workspace(app, instagram_emulator, workspace_id: int):
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace_id)
        template = DmTemplate(workspace_id=workspace_id, name="Price", body="Hi {{username}}, here is the price list!")
        db.session.add(template)
        db.session.flush()
        workspace = db.session.get(Workspace, workspace_id)
        workspace.settings = merge(
            workspace.settings,
            {"default_template_id": template.id, "scoring": {"hot_threshold": 5, "cool_threshold": 1}},
        )
        db.session.commit()
        target, comment = commenter(instagram_emulator, shop, text="how much is it? I want to buy", username="ana")
        rescore_workspace(workspace_id, full=True)
        assert db.session.get(Target, target.id).is_hot
        return target.id, comment.platform_id


def _action(team_id: str, user_id: str, channel: str, ts: str, action_id: str, value: str, action_ts: str) -> dict:
    return {
        "type": "block_actions",
        "team": {"id": team_id},
        "user": {"id": user_id},
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


def test_hot_target_to_slack_and_telegram_then_approve_once(
    app, client, console, factory, slack, slack_emulator, telegram_emulator, instagram_emulator
):
    owner = factory.user(name="Olive")
    workspace = factory.workspace(owner)
    ws = workspace["id"]
    team, _ = install_slack(client, console, slack_emulator, owner, ws)
    link_telegram(client, console, telegram_emulator, owner, ws, CHAT_ID, TG_USER)
    assert "Linked to" in telegram_emulator.params("sendMessage")[-1]["text"]
    slack_emulator.add_user("U0OLIVE", owner.email)
    target_id, comment_id = _hot_workspace(app, instagram_emulator, ws)

    with app.app_context():
        result = dispatch_alerts()
        assert result["posted"] == 2
        assert dispatch_alerts()["posted"] == 0  # a second run posts nothing again
    cards = [p for p in slack_emulator.posts() if p.get("channel") == "C0ALERTS"]
    assert len(cards) == 1
    blocks = cards[0]["blocks"]
    assert "@ana" in blocks[0]["text"]["text"] and "score" in blocks[0]["text"]["text"]
    assert "how much is it" in blocks[0]["text"]["text"]
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert action_ids[:1] == ["vf_approve"] and "vf_skip" in action_ids and "vf_lead" in action_ids
    tg = [p for p in telegram_emulator.params("sendMessage") if "@ana" in p["text"]]
    assert len(tg) == 1 and int(tg[0]["chat_id"]) == CHAT_ID
    buttons = [b["callback_data"] for row in tg[0]["reply_markup"]["inline_keyboard"] for b in row]
    assert f"ap:{target_id}" in buttons and all(len(d.encode()) <= 64 for d in buttons)

    with app.app_context():
        slack_card = db.session.scalar(select(ChatMessage).where(ChatMessage.provider == "slack"))
        tg_card = db.session.scalar(select(ChatMessage).where(ChatMessage.provider == "telegram"))
        slack_ts, tg_message_id = slack_card.message_ref, int(tg_card.message_ref)

    click = _action(team.id, "U0OLIVE", "C0ALERTS", slack_ts, "vf_approve", str(target_id), "1700000000.000100")
    started = time.monotonic()
    assert slack.action(click).status_code == 200
    assert slack.action(click).status_code == 200  # a retry of the same click
    again = _action(team.id, "U0OLIVE", "C0ALERTS", slack_ts, "vf_approve", str(target_id), "1700000000.000200")
    assert slack.action(again).status_code == 200  # a double click
    assert time.monotonic() - started < 9

    assert len(instagram_emulator.sent_messages) == 1
    assert instagram_emulator.sent_messages[0]["recipient"] == {"comment_id": comment_id}
    with app.app_context():
        dm = db.session.scalar(select(DirectMessage).where(DirectMessage.target_id == target_id))
        assert dm.status == "sent" and dm.approved_via == "slack"
        assert (
            db.session.scalar(
                select(DirectMessage.id).where(
                    DirectMessage.target_id == target_id, DirectMessage.id != dm.id, DirectMessage.status != "skipped"
                )
            )
            is None
        )
    update = slack_emulator.updates()[-1]
    assert update["ts"] == slack_ts and "DM sent by @Olive at" in update["text"]
    assert not [
        e for b in update["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "vf_approve"
    ]
    edits = [p for p in telegram_emulator.params("editMessageText") if int(p["message_id"]) == tg_message_id]
    assert edits and "DM sent by @Olive at" in edits[-1]["text"]

    # The lead, moved from Telegram, shows in the console.
    tap = tg_callback(CHAT_ID, TG_USER, tg_message_id, f"lv:{target_id}:contacted")
    assert telegram_update(client, tap).status_code == 200
    answers = telegram_emulator.params("answerCallbackQuery")
    assert answers[-1]["callback_query_id"] == tap["callback_query"]["id"]
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.target_id == target_id))
        assert lead is not None and lead.status == "contacted"
    page = client.get(f"/w/{ws}/leads").get_data(as_text=True)
    assert "ana" in page and "contacted" in page
