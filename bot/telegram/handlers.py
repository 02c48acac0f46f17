"""Telegram updates, handled in jobs: commands, /start <code> links, and inline keyboard taps."""

from __future__ import annotations

import logging
from typing import Any

from bot import actions, commands
from bot.telegram import client, render
from bot.telegram.client import TelegramFailure
from core.errors import VistaFlowError
from core.models import ChatProvider
from core.services import workspace_status
from core.services.chat import deliveries, links

log = logging.getLogger(__name__)
TELEGRAM = ChatProvider.TELEGRAM.value
NOT_LINKED_CHAT = "This chat is not linked to a VistaFlow workspace. Get a link in VistaFlow > Settings > Chat."
NOT_LINKED_USER = (
    "You are not linked to a member of this workspace. Open your own link from "
    "VistaFlow > Settings > Chat (it sends /start <code> here)."
)


def _reply(chat_id: int, text: str) -> None:
    try:
        client.send(chat_id, _escape(text))
    except TelegramFailure as failure:
        if failure.kind == "chat_gone":
            links.disable_telegram_chat(chat_id, "the bot was removed from the chat")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def handle_update(update: dict[str, Any]) -> dict[str, Any]:
    """Route one update: a callback query, a command, or the bot being removed from a chat."""
    if "callback_query" in update:
        return handle_callback(update["callback_query"])
    if "message" in update:
        return handle_message(update["message"])
    member = update.get("my_chat_member")
    if member and (member.get("new_chat_member") or {}).get("status") in ("left", "kicked"):
        links.disable_telegram_chat(member["chat"]["id"], "the bot was removed from the chat")
        return {"handled": True, "disabled": True}
    return {"handled": False}


def handle_message(message: dict[str, Any]) -> dict[str, Any]:
    text = (message.get("text") or "").strip()
    if not text.startswith("/"):
        return {"handled": False}
    chat = message["chat"]
    sender = (message.get("from") or {}).get("id")
    words = text.split()
    command = words[0].split("@")[0].lower()
    link = links.telegram_chat(chat["id"])
    relinking = command == "/start" and len(words) > 1  # the code's own workspace is checked when redeemed
    if link is not None and not relinking and not workspace_status.is_active(link.workspace_id):
        _reply(chat["id"], workspace_status.SUSPENDED)
        return {"handled": False, "reason": "suspended"}
    if command == "/start":
        if len(words) < 2:
            _reply(
                chat["id"],
                "\n".join(["Hello! Link this chat from VistaFlow > Settings > Chat.", *commands.help_lines("/")]),
            )
            return {"handled": True}
        try:
            linked = links.redeem_code(
                words[1],
                chat_id=chat["id"],
                chat_type=chat.get("type", "private"),
                chat_title=chat.get("title") or chat.get("username") or "",
                telegram_user_id=sender,
            )
        except VistaFlowError as exc:
            _reply(chat["id"], exc.message)
            return {"handled": False, "reason": exc.code}
        _reply(
            chat["id"],
            f"Linked to “{linked.workspace_name}” as {linked.user.name}. "
            "Hot targets will show up here. Try /hot or /help.",
        )
        return {"handled": True, "linked": linked.workspace_id}
    if command == "/help":
        _reply(chat["id"], "\n".join(commands.help_lines("/")))
        return {"handled": True}
    if link is None:
        _reply(chat["id"], NOT_LINKED_CHAT)
        return {"handled": False, "reason": "chat not linked"}
    actor = links.actor_for(link.workspace_id, TELEGRAM, str(sender))
    if actor is None:
        _reply(chat["id"], NOT_LINKED_USER)
        return {"handled": False, "reason": "user not linked"}
    _reply(chat["id"], "\n".join(commands.run(link.workspace_id, actor, [command[1:], *words[1:]], "/")))
    return {"handled": True}


# Telegram's callback_data is "<code>:<target id>[:<template id or lead status>]" (64 bytes at most).
ACTIONS = {"ap": actions.APPROVE, "tp": actions.TEMPLATE, "sk": actions.SKIP, "lv": actions.LEAD}
KEYBOARDS = ("ls", "tl", "bk")  # only this message's keyboard changes: lead statuses, templates, or back


def handle_callback(query: dict[str, Any]) -> dict[str, Any]:
    """A tap on an inline button; answerCallbackQuery always, whatever happens."""
    answer: str | None = None
    try:
        answer, result = _callback(query)
        return result
    finally:
        client.answer_callback(query["id"], answer)


def _callback(query: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    message = query.get("message") or {}
    chat_id = (message.get("chat") or {}).get("id")
    link = links.telegram_chat(chat_id) if chat_id is not None else None
    if link is None:
        return NOT_LINKED_CHAT, {"handled": False, "reason": "chat not linked"}
    if not workspace_status.is_active(link.workspace_id):
        return workspace_status.SUSPENDED, {"handled": False, "reason": "suspended"}
    actor = links.actor_for(link.workspace_id, TELEGRAM, str((query.get("from") or {}).get("id")))
    if actor is None:
        return NOT_LINKED_USER, {"handled": False, "reason": "user not linked"}
    kind, _, rest = (query.get("data") or "").partition(":")
    head, _, extra = rest.partition(":")
    try:
        target_id = actions.button_number(head)
        if kind in KEYBOARDS:
            card = actions.card_for(target_id, actor=actor, workspace_id=link.workspace_id)
            text, markup = render.card(card, show_statuses=kind == "ls", show_templates=kind == "tl")
            client.edit(chat_id, message.get("message_id"), text, markup)
            return None, {"handled": True}
        card_message = deliveries.card_at(TELEGRAM, str(chat_id), str(message.get("message_id")))
        note = actions.dispatch(
            ACTIONS.get(kind, ""),
            target_id,
            extra or None,
            actor=actor,
            workspace_id=link.workspace_id,
            card_message=card_message,
        )
        if card_message is None:
            # A message the bot did not record (e.g. older than this feature): still show the outcome.
            card = actions.card_for(target_id, actor=actor, workspace_id=link.workspace_id, note=note)
            client.edit(chat_id, message.get("message_id"), *render.card(card))
    except VistaFlowError as exc:
        return exc.message, {"handled": False, "reason": exc.code}
    return note or "Done", {"handled": True, "note": note}
