"""Posting alerts and editing cards in Slack and Telegram; a chat that removed the bot disables its link."""

from __future__ import annotations

import logging
from typing import Any

from core.errors import NotFound
from core.models import ChatMessage, ChatProvider, SlackInstallation
from core.platforms import slack as web
from core.platforms import telegram
from core.platforms.slack import SlackFailure
from core.platforms.telegram import TelegramFailure
from core.services.chat import cards, deliveries, installations, language, links
from core.services.chat import slack_blocks as blocks
from core.services.chat import telegram_render as render
from core.services.chat import wording as views
from core.services.identity.actors import Actor

log = logging.getLogger(__name__)
POSTER = Actor.system("chat")  # posts what the workspace's linked chats asked to receive


class DestinationGone(Exception):
    """The installation or chat was disabled or unlinked since the message was recorded."""


def _slack(message: ChatMessage) -> SlackInstallation:
    installation = deliveries.slack_installation(message.workspace_id)
    if installation is None or not installation.is_active:
        raise DestinationGone("Slack is not installed any more")
    return installation


def _content(message: ChatMessage) -> tuple[str, Any]:
    """(text, blocks or keyboard) for the message's chat, from the current state, in the chat's language."""
    slack = message.provider == ChatProvider.SLACK.value
    locale = language.for_chat(message.provider, message.chat_id, message.workspace_id)
    if message.kind == "hot" and message.target_id:
        try:
            card = cards.build(message.target_id, actor=POSTER, workspace_id=message.workspace_id, note=message.note)
        except NotFound:
            pass  # the person was erased since: the plain alert text stands in for the card
        else:
            return blocks.card(card, locale) if slack else render.card(card, locale=locale)
    text = views.alert_text(message.kind, message.data or {}, deliveries.alert_context(message), locale)
    if not slack:
        return text, None
    reply_to = message.target_id if message.kind == "dm_replied" else None
    return blocks.alert(text, reply_to=reply_to, locale=locale)


def _thread_of(message: ChatMessage) -> str | None:
    """A person's reply is threaded under their card in that chat, when there is one."""
    if message.kind != "dm_replied" or not message.target_id:
        return None
    card = deliveries.card_in(message.provider, message.chat_id, message.target_id)
    return card.message_ref if card is not None else None


def _post(message: ChatMessage) -> str:
    text, extra = _content(message)
    thread = _thread_of(message)
    if message.provider == ChatProvider.SLACK.value:
        installation = _slack(message)
        answer = web.call(
            web.for_installation(installation),
            "chat_postMessage",
            channel=message.chat_id,
            text=text,
            blocks=extra,
            unfurl_links=False,
            unfurl_media=False,
            **({"thread_ts": thread, "reply_broadcast": True} if thread else {}),
        )
        return str(answer["ts"])
    if links.telegram_chat(int(message.chat_id)) is None:
        raise DestinationGone("the Telegram chat is not linked any more")
    return str(telegram.send(message.chat_id, text, extra, reply_to=thread))


def _edit(message: ChatMessage) -> None:
    text, extra = _content(message)
    if message.provider == ChatProvider.SLACK.value:
        installation = _slack(message)
        web.call(
            web.for_installation(installation),
            "chat_update",
            channel=message.chat_id,
            ts=message.message_ref,
            text=text,
            blocks=extra,
        )
    else:
        telegram.edit(message.chat_id, message.message_ref or 0, text, extra)


def _chat_gone(message: ChatMessage, failure: Exception) -> bool:
    """Disable what the chat's answer says is gone; True if the message can never be delivered."""
    if isinstance(failure, DestinationGone):
        return True
    if isinstance(failure, SlackFailure) and failure.kind in ("token_gone", "channel_gone"):
        installation = deliveries.slack_installation(message.workspace_id)
        if installation is not None:
            if failure.kind == "token_gone":
                installations.disable_team(installation.team_id, f"Slack said {failure.code}; reinstall the app")
            else:
                installations.drop_channel(installation.id, f"Slack said {failure.code}; choose the channel again")
        return True
    if isinstance(failure, TelegramFailure) and failure.kind == "chat_gone":
        links.disable_telegram_chat(int(message.chat_id), f"Telegram said {failure.code}: the bot was removed")
        return True
    return False


def post(message_id: int) -> dict[str, Any]:
    """Post one recorded message if nobody else is posting it; failures are retried or end the link."""
    message = deliveries.claim(message_id)
    if message is None:
        return {"posted": False, "reason": "already handled"}
    try:
        ref = _post(message)
    except (SlackFailure, TelegramFailure, DestinationGone) as failure:
        gone = _chat_gone(message, failure)
        final = gone or getattr(failure, "kind", "") == "refused"
        deliveries.failed(message.id, str(failure), final=final)
        if gone:
            deliveries.drop_pending(message.provider, message.chat_id, str(failure))
        return {"posted": False, "error": str(failure), "final": final}
    deliveries.posted(message.id, ref)
    return {"posted": True}


def refresh_target(target_id: int, *, note: str | None = None) -> dict[str, int]:
    """Edit every card of a person in place to show the current state (and `note`, or clear it)."""
    edited = 0
    for message in deliveries.cards_of(target_id):
        if message.note != note:
            deliveries.set_note(message.id, note)
        message.note = note  # the note as core gave it, so each chat renders it in its own language
        try:
            _edit(message)
            edited += 1
        except (SlackFailure, TelegramFailure, DestinationGone) as failure:
            _chat_gone(message, failure)
            log.warning("could not update card %s: %s", message.id, failure)
    return {"edited": edited}
