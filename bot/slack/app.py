"""The bolt app (HTTP mode, one per Flask app): verifies Slack's signature, acks at once, queues the work.

Listeners run in the request (process_before_response) but only deduplicate and enqueue: the
work itself (users.info, services, chat.update) happens in a job on the interactive queue.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask
from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult

from bot.slack import handlers
from core import job_names, jobs
from core.errors import VistaFlowError
from core.platforms import slack as web
from core.services.chat import dedupe, installations
from core.services.chat import slack_blocks as blocks

log = logging.getLogger(__name__)
EXTENSION = "vistaflow_slack_bolt"


def _authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult | None:
    installation = installations.for_team(team_id or "")
    if installation is None:
        return None
    return AuthorizeResult(
        enterprise_id=enterprise_id,
        team_id=team_id,
        bot_user_id=installation.bot_user_id,
        bot_token=installation.decrypted_token(),
    )


def _enqueue(func: str, payload: dict[str, Any], kind: str, team_id: str) -> None:
    workspace_id = installations.workspace_for_requests(team_id)
    try:
        jobs.enqueue(func, payload, kind=kind, queue=jobs.QUEUE_INTERACTIVE, workspace_id=workspace_id)
    except VistaFlowError as exc:  # Redis down: nothing more to do in Slack's 3 seconds
        log.warning("slack %s not queued: %s", kind, exc.message)


def on_action(ack, body: dict[str, Any]) -> None:
    ack()
    action = (body.get("actions") or [{}])[0]
    if action.get("action_id") == "vf_reply":
        # The modal must open within Slack's 3 seconds of the click (its trigger_id expires): here, not in a job.
        handlers.open_reply_modal(body)
        return
    team_id = (body.get("team") or {}).get("id") or ""
    user_id = (body.get("user") or {}).get("id") or ""
    # One interaction, one handling: a retried or replayed payload carries the same ids.
    key = f"action:{team_id}:{user_id}:{action.get('action_ts')}:{action.get('action_id')}"
    if not dedupe.first_time("slack", key):
        return
    payload = {
        "team_id": team_id,
        "user_id": user_id,
        "channel_id": (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id"),
        "message_ts": (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts"),
        "action_id": action.get("action_id"),
        "value": action.get("value") or (action.get("selected_option") or {}).get("value"),
    }
    _enqueue(job_names.SLACK_ACTION, payload, "slack.action", team_id)


def on_reply_submitted(ack, body: dict[str, Any]) -> None:
    ack()  # closes the modal; the drafted DM arrives as a new card in the channel
    view = body.get("view") or {}
    team_id = (body.get("team") or {}).get("id") or ""
    user_id = (body.get("user") or {}).get("id") or ""
    if not dedupe.first_time("slack", f"view:{team_id}:{view.get('id')}:{view.get('hash')}"):
        return
    payload = handlers.reply_payload(team_id, user_id, view)
    if payload is not None:
        _enqueue(job_names.SLACK_ACTION, payload, "slack.action", team_id)


def on_command(ack, body: dict[str, Any]) -> None:
    ack()
    team_id = body.get("team_id") or ""
    key = f"command:{team_id}:{body.get('trigger_id')}"
    if not dedupe.first_time("slack", key):
        return
    payload = {
        "team_id": team_id,
        "user_id": body.get("user_id"),
        "channel_id": body.get("channel_id"),
        "command": body.get("command"),
        "text": (body.get("text") or "")[:500],
    }
    _enqueue(job_names.SLACK_COMMAND, payload, "slack.command", team_id)


def on_uninstalled(ack, body: dict[str, Any]) -> None:
    ack()
    event = body.get("event") or {}
    if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
        return  # only user tokens went; the bot token, the one we use, still works
    if dedupe.first_time("slack", f"event:{body.get('event_id')}"):
        installations.disable_team(body.get("team_id") or "", "the Slack app was uninstalled or its token revoked")


def build(app: Flask) -> App:
    bolt = App(
        signing_secret=app.config["SLACK_SIGNING_SECRET"],
        authorize=_authorize,
        process_before_response=True,
        client=web.WebClient(base_url=app.config["SLACK_API_URL"]),
        logger=log,
    )
    bolt.action(re.compile(r"^vf_"))(on_action)
    bolt.view(blocks.REPLY_MODAL)(on_reply_submitted)
    bolt.command(re.compile(r"^/"))(on_command)
    bolt.event("app_uninstalled")(on_uninstalled)
    bolt.event("tokens_revoked")(on_uninstalled)
    return bolt


def bolt_for(app: Flask) -> App:
    """The app's bolt instance, built on first use from its config."""
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = build(app)
    return app.extensions[EXTENSION]
