"""/slack/events: bolt's signature check, stale timestamps, retries and double clicks, refusals."""

from __future__ import annotations

import time

from sqlalchemy import select

from core.db import db
from core.models import JobRun, SlackInstallation
from tests.bot.conftest import SIGNING_SECRET
from tests.bot.helpers import install_slack


def _command(team_id: str, user_id: str, text: str, trigger: str = "trig-1") -> dict:
    return {
        "token": "legacy",
        "team_id": team_id,
        "channel_id": "C0GENERAL",
        "user_id": user_id,
        "command": "/vistaflow",
        "text": text,
        "trigger_id": trigger,
        "response_url": "http://localhost/x",
    }


def _jobs(app, kind: str) -> int:
    with app.app_context():
        return len(db.session.scalars(select(JobRun).where(JobRun.kind == kind)).all())


def test_signed_command_is_answered_privately_and_bad_signatures_refused(
    app, client, console, factory, slack, slack_emulator
):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    team, _ = install_slack(client, console, slack_emulator, owner, ws)
    slack_emulator.add_user("U0OWNER", owner.email)

    assert slack.command(_command(team.id, "U0OWNER", "quota")).status_code == 200
    answer = slack_emulator.ephemerals()[-1]
    assert answer["user"] == "U0OWNER" and answer["text"].startswith("No connected accounts")

    bad = slack.command(_command(team.id, "U0OWNER", "quota", "trig-2"), secret="not-the-secret")
    assert bad.status_code == 401
    stale = slack.command(_command(team.id, "U0OWNER", "quota", "trig-3"), timestamp=int(time.time()) - 600)
    assert stale.status_code == 401
    assert _jobs(app, "slack.command") == 1


def test_retry_header_and_double_submission_do_the_work_once(app, client, console, factory, slack, slack_emulator):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    team, _ = install_slack(client, console, slack_emulator, owner, ws)
    slack_emulator.add_user("U0OWNER", owner.email)
    fields = _command(team.id, "U0OWNER", "hot", "trig-same")
    assert slack.command(fields).status_code == 200
    retried = slack.command(fields, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retried.status_code == 200
    assert _jobs(app, "slack.command") == 1 and len(slack_emulator.ephemerals()) == 1

    event = {
        "token": "legacy",
        "team_id": team.id,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": "Ev0001",
        "event_time": int(time.time()),
        "event": {"type": "app_uninstalled"},
    }
    assert slack.event(event).status_code == 200
    assert slack.event(event, headers={"X-Slack-Retry-Num": "1"}).status_code == 200
    with app.app_context():
        installation = db.session.scalar(select(SlackInstallation))
        assert installation.disabled_at is not None and not installation.is_active


def test_unlinked_slack_user_gets_an_ephemeral_refusal(app, client, console, factory, slack, slack_emulator):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    team, _ = install_slack(client, console, slack_emulator, owner, ws)
    slack_emulator.add_user("U0STRANGER", "nobody@elsewhere.example")
    slack_emulator.add_user("U0UNVERIFIED", owner.email, confirmed=False)
    for user in ("U0STRANGER", "U0UNVERIFIED"):
        payload = {
            "type": "block_actions",
            "team": {"id": team.id},
            "user": {"id": user},
            "api_app_id": "A0001",
            "token": "legacy",
            "trigger_id": f"t-{user}",
            "channel": {"id": "C0ALERTS"},
            "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C0ALERTS"},
            "actions": [
                {"type": "button", "action_id": "vf_approve", "block_id": "b", "value": "1", "action_ts": f"{user}.1"}
            ],
        }
        assert slack.action(payload).status_code == 200
        refusal = slack_emulator.ephemerals()[-1]
        assert refusal["user"] == user and "not linked" in refusal["text"]


def test_events_refused_when_slack_is_not_configured(client, app):
    app.config["SLACK_SIGNING_SECRET"] = ""
    response = client.post("/slack/events", data="{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 503
    assert SIGNING_SECRET  # the module's secret is only used when configured
