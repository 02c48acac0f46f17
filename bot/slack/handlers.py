"""Slack work done in jobs (never inside Slack's 3 seconds): who is acting, one service, the answer.

The one exception is opening the reply modal, which Slack allows only within 3 seconds of the click.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bot import actions, commands
from core.errors import VistaFlowError
from core.i18n import Text, _, render
from core.models import ChatProvider, SlackInstallation
from core.platforms import slack as web
from core.platforms.slack import SlackFailure
from core.services.chat import cards, deliveries, installations, language, links, posting, replies
from core.services.chat import slack_blocks as blocks
from core.services.identity.actors import Actor

log = logging.getLogger(__name__)
SLACK = ChatProvider.SLACK.value
REPLY_SUBMITTED = "vf_reply_submitted"
MODAL_FAILED = _("Slack could not open the message window in time; press the button again.")
NOT_LINKED = _(
    "Your Slack account is not linked to a member of this VistaFlow workspace. Use the same "
    "(verified) email in Slack and VistaFlow, or ask an admin to link you in Settings > Chat."
)


def actor_for(installation: SlackInstallation, slack_user_id: str) -> Actor | None:
    """The member behind a Slack user: an existing link, else the verified email from users.info."""
    actor = links.actor_for(installation.workspace_id, SLACK, slack_user_id)
    if actor is not None:
        return actor
    try:
        info = web.call(web.for_installation(installation), "users_info", user=slack_user_id)
    except SlackFailure:
        return None
    user = info.get("user") or {}
    email = (user.get("profile") or {}).get("email")
    if not email or not user.get("is_email_confirmed") or user.get("is_bot") or user.get("deleted"):
        return None
    return links.link_by_verified_email(installation.workspace_id, SLACK, slack_user_id, email)


def ephemeral(installation: SlackInstallation, channel: str, user: str, text: str) -> None:
    """Only `user` sees it (in their language, else the channel's); in a channel the bot is not in, it goes
    to the user's DM with the app."""
    workspace_id = installation.workspace_id
    locale = language.for_person(SLACK, user, workspace_id) or language.for_chat(SLACK, channel, workspace_id)
    text = render(text, locale)
    client = web.for_installation(installation)
    try:
        web.call(client, "chat_postEphemeral", channel=channel, user=user, text=text)
    except SlackFailure:
        try:
            web.call(client, "chat_postMessage", channel=user, text=text)
        except SlackFailure as failure:
            log.warning("could not answer a Slack user: %s", failure)


def _lines(lines: list[str]) -> Text:
    # One message of several core lines, each rendered in the reader's language when it is posted.
    names = {f"line{i}": line for i, line in enumerate(lines)}
    return Text("\n".join(f"%({name})s" for name in names), **names)


# Slack's action ids -> what the button does (bot.actions.ACTIONS).
ACTIONS = {
    "vf_approve": actions.APPROVE,
    "vf_template": actions.TEMPLATE,
    "vf_skip": actions.SKIP,
    "vf_lead": actions.LEAD,
    "vf_assign": actions.ASSIGN,
    "vf_done": actions.DONE,
    "vf_teach": actions.TEACH,
}


def open_reply_modal(body: dict[str, Any]) -> None:
    """The "Write a message…" button: a modal showing the person, to write the DM to draft."""
    action = (body.get("actions") or [{}])[0]
    team_id = (body.get("team") or {}).get("id") or ""
    user_id = (body.get("user") or {}).get("id") or ""
    channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts") or ""
    installation = installations.for_team(team_id)
    if installation is None:
        return
    try:
        actor = actor_for(installation, user_id)
        if actor is None:
            ephemeral(installation, channel_id, user_id, NOT_LINKED)
            return
        card = cards.build(
            actions.button_number(action.get("value") or ""), actor=actor, workspace_id=installation.workspace_id
        )
    except VistaFlowError as exc:
        ephemeral(installation, channel_id, user_id, exc.message)
        return
    locale = language.for_person(SLACK, user_id, installation.workspace_id) or language.for_chat(
        SLACK, channel_id, installation.workspace_id
    )
    metadata = json.dumps({"channel": channel_id, "ts": message_ts})
    try:
        web.call(
            web.for_installation(installation),
            "views_open",
            trigger_id=body.get("trigger_id") or "",
            view=blocks.reply_modal(card, metadata, locale),
        )
    except SlackFailure as failure:  # an expired trigger (a slow click) or a closed app: say so, privately
        log.warning("could not open the reply modal: %s", failure)
        ephemeral(installation, channel_id, user_id, MODAL_FAILED)


def reply_payload(team_id: str, user_id: str, view: dict[str, Any]) -> dict[str, Any] | None:
    """The job's payload for a submitted reply modal (None for a view that is not ours or is malformed)."""
    try:
        where = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    values = ((view.get("state") or {}).get("values") or {}).get(blocks.REPLY_BLOCK) or {}
    text = (values.get("text") or {}).get("value")
    if not isinstance(where, dict) or not isinstance(text, str):
        return None
    return {
        "team_id": team_id,
        "user_id": user_id,
        "channel_id": str(where.get("channel") or ""),
        "message_ts": str(where.get("ts") or ""),
        "action_id": REPLY_SUBMITTED,
        "value": "",
        "text": text[:1000],
    }


def _draft_reply(installation: SlackInstallation, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        actor = actor_for(installation, payload["user_id"])
        if actor is None:
            ephemeral(installation, payload["channel_id"], payload["user_id"], NOT_LINKED)
            return {"handled": False, "reason": "not linked"}
        card_id = replies.draft_from_reply(
            SLACK,
            payload["channel_id"],
            payload["message_ts"],
            payload.get("text") or "",
            actor=actor,
            workspace_id=installation.workspace_id,
        )
    except VistaFlowError as exc:
        ephemeral(installation, payload["channel_id"], payload["user_id"], exc.message)
        return {"handled": False, "reason": exc.code}
    return {"handled": True, "card": posting.post(card_id)}


PICK = "vf_pick"  # a template picked in the card's select: shown on that card, sent only by Approve


def _show_template(installation: SlackInstallation, payload: dict[str, Any]) -> dict[str, Any]:
    """Redraw the card the select is on with the picked template's text, as Approve would send it."""
    head, _colon, extra = (payload.get("value") or "").partition(":")
    channel, ts = payload["channel_id"], payload.get("message_ts") or ""
    try:
        actor = actor_for(installation, payload["user_id"])
        if actor is None:
            ephemeral(installation, channel, payload["user_id"], NOT_LINKED)
            return {"handled": False, "reason": "not linked"}
        card = actions.card_for(
            actions.button_number(head),
            actor=actor,
            workspace_id=installation.workspace_id,
            template_id=actions.button_number(extra, "template"),
        )
    except VistaFlowError as exc:
        ephemeral(installation, channel, payload["user_id"], exc.message)
        return {"handled": False, "reason": exc.code}
    text, card_blocks = blocks.card(card, language.for_chat(SLACK, channel, installation.workspace_id))
    try:
        web.call(
            web.for_installation(installation), "chat_update", channel=channel, ts=ts, text=text, blocks=card_blocks
        )
    except SlackFailure as failure:
        log.warning("could not show the picked template: %s", failure)
        return {"handled": False, "reason": "slack refused"}
    return {"handled": True, "template": card.chosen_template_id}


def handle_action(payload: dict[str, Any]) -> dict[str, Any]:
    """A button or select on a card: approve, pick a template, skip, move the lead; then the card is updated."""
    installation = installations.for_team(payload["team_id"])
    if installation is None:
        return {"handled": False, "reason": "not installed"}
    if payload.get("action_id") == REPLY_SUBMITTED:
        return _draft_reply(installation, payload)
    if payload.get("action_id") == PICK:
        return _show_template(installation, payload)
    # The button's value is "<target id>" or "<target id>:<template id or lead status>".
    head, _colon, extra = (payload.get("value") or "").partition(":")
    try:
        actor = actor_for(installation, payload["user_id"])  # refused for a suspended workspace
        if actor is None:
            ephemeral(installation, payload["channel_id"], payload["user_id"], NOT_LINKED)
            return {"handled": False, "reason": "not linked"}
        note = actions.dispatch(
            ACTIONS.get(payload["action_id"], ""),
            actions.button_number(head),
            extra or None,
            actor=actor,
            workspace_id=installation.workspace_id,
            card_message=deliveries.card_at(SLACK, payload["channel_id"], payload.get("message_ts") or ""),
        )
    except VistaFlowError as exc:
        ephemeral(installation, payload["channel_id"], payload["user_id"], exc.message)
        return {"handled": False, "reason": exc.code}
    return {"handled": True, "note": note}


def handle_command(payload: dict[str, Any]) -> dict[str, Any]:
    """/vistaflow hot|leads [status]|lead <id> <status>|quota|help, answered privately."""
    installation = installations.for_team(payload["team_id"])
    if installation is None:
        return {"handled": False, "reason": "not installed"}
    words = (payload.get("text") or "").split()
    prefix = f"{payload.get('command') or '/vistaflow'} "
    try:
        actor = actor_for(installation, payload["user_id"])  # refused for a suspended workspace, help included
    except VistaFlowError as exc:
        ephemeral(installation, payload["channel_id"], payload["user_id"], exc.message)
        return {"handled": False, "reason": exc.code}
    if not words or words[0].lower() == "help":
        lines = commands.help_lines(prefix)
    else:
        if actor is None:
            ephemeral(installation, payload["channel_id"], payload["user_id"], NOT_LINKED)
            return {"handled": False, "reason": "not linked"}
        lines = commands.run(installation.workspace_id, actor, words, prefix)
    ephemeral(installation, payload["channel_id"], payload["user_id"], _lines(lines))
    return {"handled": True}
