"""Telegram updates, handled in jobs: commands, /start <code> links, and inline keyboard taps."""

from __future__ import annotations

import logging
from typing import Any

from bot import actions, commands
from core import i18n
from core.errors import VistaFlowError
from core.i18n import _
from core.models import ChatMessage, ChatProvider
from core.platforms import telegram as client
from core.platforms.telegram import TelegramFailure
from core.services.chat import card_actions, cards, deliveries, language, links, posting, replies
from core.services.chat import telegram_render as render
from core.services.identity.actors import Actor

log = logging.getLogger(__name__)
TELEGRAM = ChatProvider.TELEGRAM.value
NOT_LINKED_CHAT = _("This chat is not linked to a VistaFlow workspace. Get a link in VistaFlow > Settings > Chat.")
NOT_LINKED_USER = _(
    "You are not linked to a member of this workspace. Open your own link from "
    "VistaFlow > Settings > Chat (it sends /start <code> here)."
)


def _locale(chat_id: int, sender: Any) -> str | None:
    """The chat's language once it is linked; before that, the language the person's Telegram app uses."""
    link = links.telegram_chat(chat_id)
    if link is not None:
        return language.for_chat(TELEGRAM, chat_id, link.workspace_id)
    code = sender.get("language_code") if isinstance(sender, dict) else None
    return i18n.normalise(code if isinstance(code, str) else None)


def _reply(chat_id: int, text: str, locale: str | None = None) -> None:
    try:
        client.send(chat_id, _escape(i18n.render(text, locale)))
    except TelegramFailure as failure:
        if failure.kind == "chat_gone":
            links.disable_telegram_chat(chat_id, "the bot was removed from the chat")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chat_id(container: Any) -> int | None:
    """The chat id of a message or chat-member update; None when Telegram (or a forger) sent none."""
    chat = container.get("chat") if isinstance(container, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    if not isinstance(chat_id, int) or isinstance(chat_id, bool) or not -(2**63) <= chat_id < 2**63:
        return None  # Telegram's chat ids fit in 64 bits (our BIGINT column); anything else names no chat
    return chat_id


def _sender(container: dict[str, Any]) -> int | None:
    """The Telegram user id of who sent a message or tapped a button (None when absent or malformed)."""
    sender = container.get("from")
    user_id = sender.get("id") if isinstance(sender, dict) else None
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None


def handle_update(update: dict[str, Any]) -> dict[str, Any]:
    """Route one update: a callback query, a command, or the bot being removed from a chat."""
    if isinstance(update.get("callback_query"), dict):
        return handle_callback(update["callback_query"])
    if "message" in update:
        if _chat_id(update["message"]) is None:
            return {"handled": False, "reason": "no chat"}  # nobody to answer (channel posts, forged updates)
        return handle_message(update["message"])
    member = update.get("my_chat_member")
    if not isinstance(member, dict):
        return {"handled": False}
    new_member = member.get("new_chat_member")
    status = new_member.get("status") if isinstance(new_member, dict) else None
    if status in ("left", "kicked") and _chat_id(member) is not None:
        links.disable_telegram_chat(_chat_id(member), "the bot was removed from the chat")
        return {"handled": True, "disabled": True}
    return {"handled": False}


def handle_message(message: dict[str, Any]) -> dict[str, Any]:
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    text = text.strip()
    replied = message.get("reply_to_message")
    if text and not text.startswith("/") and isinstance(replied, dict):
        return handle_reply(message, replied, text)
    if not text.startswith("/"):
        return {"handled": False}
    chat = message["chat"]
    sender = _sender(message)
    words = text.split()
    command = words[0].split("@")[0].lower()
    locale = _locale(chat["id"], message.get("from"))
    relinking = command == "/start" and len(words) > 1  # the code's own workspace is checked when redeemed
    try:
        link = links.telegram_chat(chat["id"]) if relinking else links.open_telegram_chat(chat["id"])
    except VistaFlowError as exc:  # a suspended workspace: nothing but saying so
        _reply(chat["id"], exc.message, locale)
        return {"handled": False, "reason": exc.code}
    if command == "/start":
        if len(words) < 2:
            hello = i18n.render(_("Hello! Link this chat from VistaFlow > Settings > Chat."), locale)
            _reply(chat["id"], "\n".join([hello, *i18n.render(commands.help_lines("/"), locale)]))
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
            _reply(chat["id"], exc.message, locale)
            return {"handled": False, "reason": exc.code}
        _reply(
            chat["id"],
            _(
                "Linked to “%(workspace)s” as %(name)s. Hot targets will show up here. Try /hot or /help.",
                workspace=linked.workspace_name,
                name=linked.user.name,
            ),
            _locale(chat["id"], message.get("from")),
        )
        return {"handled": True, "linked": linked.workspace_id}
    if command == "/help":
        _reply(chat["id"], "\n".join(i18n.render(commands.help_lines("/"), locale)))
        return {"handled": True}
    if link is None:
        _reply(chat["id"], NOT_LINKED_CHAT, locale)
        return {"handled": False, "reason": "chat not linked"}
    actor = links.actor_for(link.workspace_id, TELEGRAM, str(sender))
    if actor is None:
        _reply(chat["id"], NOT_LINKED_USER, locale)
        return {"handled": False, "reason": "user not linked"}
    lines = commands.run(link.workspace_id, actor, [command[1:], *words[1:]], "/")
    _reply(chat["id"], "\n".join(i18n.render(lines, locale)))
    return {"handled": True}


def handle_reply(message: dict[str, Any], replied: dict[str, Any], text: str) -> dict[str, Any]:
    """A reply to the bot's message about a person: the words become their drafted DM, on a new card."""
    chat_id = message["chat"]["id"]
    locale = _locale(chat_id, message.get("from"))
    replied_id = replied.get("message_id")
    if not isinstance(replied_id, int) or isinstance(replied_id, bool):
        return {"handled": False, "reason": "no message replied to"}
    try:
        link = links.open_telegram_chat(chat_id)
        if link is None:
            _reply(chat_id, NOT_LINKED_CHAT, locale)
            return {"handled": False, "reason": "chat not linked"}
        actor = links.actor_for(link.workspace_id, TELEGRAM, str(_sender(message)))
        if actor is None:
            _reply(chat_id, NOT_LINKED_USER, locale)
            return {"handled": False, "reason": "user not linked"}
        card_id = replies.draft_from_reply(
            TELEGRAM, str(chat_id), str(replied_id), text, actor=actor, workspace_id=link.workspace_id
        )
    except VistaFlowError as exc:
        _reply(chat_id, exc.message, locale)
        return {"handled": False, "reason": exc.code}
    return {"handled": True, "card": posting.post(card_id)}


# Telegram's callback_data is "<code>:<target id>[:<template id or lead status>]" (64 bytes at most).
ACTIONS = {
    "ap": actions.APPROVE,
    "tp": actions.TEMPLATE,
    "sk": actions.SKIP,
    "lv": actions.LEAD,
    "as": actions.ASSIGN,
    "dn": actions.DONE,
    "lb": actions.TEACH,
}
# Only this message's keyboard changes: lead statuses, "Asked to stop" asked again, or back.
KEYBOARDS = ("ls", "sc", "bk")
CHOICE, PROMPT = "choice", "prompt"  # messages posted under a card: a template to send, a request for new text


def handle_callback(query: dict[str, Any]) -> dict[str, Any]:
    """A tap on an inline button; answerCallbackQuery always, whatever happens."""
    answer: str | None = None
    chat_id = _chat_id(query.get("message"))
    try:
        answer, result = _callback(query)
        return result
    finally:
        if isinstance(query.get("id"), str):
            locale = _locale(chat_id, query.get("from")) if chat_id is not None else None
            client.answer_callback(query["id"], i18n.render(answer, locale))


def _callback(query: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    message = query.get("message") if isinstance(query.get("message"), dict) else {}
    chat_id = _chat_id(message)
    link = links.telegram_chat(chat_id) if chat_id is not None else None
    if link is None:
        return NOT_LINKED_CHAT, {"handled": False, "reason": "chat not linked"}
    try:
        actor = links.actor_for(link.workspace_id, TELEGRAM, str(_sender(query)))
    except VistaFlowError as exc:  # a suspended workspace
        return exc.message, {"handled": False, "reason": exc.code}
    if actor is None:
        return NOT_LINKED_USER, {"handled": False, "reason": "user not linked"}
    kind, _colon, rest = (query.get("data") if isinstance(query.get("data"), str) else "").partition(":")
    head, _colon, extra = rest.partition(":")
    try:
        target_id = actions.button_number(head)
        if kind in KEYBOARDS:
            card = actions.card_for(target_id, actor=actor, workspace_id=link.workspace_id)
            locale = language.for_chat(TELEGRAM, chat_id, link.workspace_id)
            text, markup = render.card(card, show_statuses=kind == "ls", confirm_stop=kind == "sc", locale=locale)
            client.edit(chat_id, message.get("message_id"), text, markup)
            return None, {"handled": True}
        if kind == "tl":
            return _post_choices(chat_id, message, target_id, actor, link.workspace_id)
        if kind == "ed":
            return _ask_for_text(chat_id, message, target_id, actor, link.workspace_id)
        card_message = deliveries.card_at(TELEGRAM, str(chat_id), str(message.get("message_id")))
        if card_message is not None and card_message.target_id not in (None, target_id):
            return actions.UNKNOWN_BUTTON, {"handled": False, "reason": "button of another person"}
        if card_message is not None and card_message.kind == CHOICE and kind == "tp":
            changed = _choice_changed(card_message, target_id, actor, link.workspace_id)
            if changed:
                return changed, {"handled": False, "reason": "text changed"}
        note = actions.dispatch(
            ACTIONS.get(kind, ""),
            target_id,
            extra or None,
            actor=actor,
            workspace_id=link.workspace_id,
            card_message=card_message,
        )
        if card_message is not None and card_message.kind == CHOICE:
            _refresh_choices(chat_id, target_id, actor, link.workspace_id)
        elif card_message is None:
            # A message the bot did not record (e.g. older than this feature): still show the outcome.
            card = actions.card_for(target_id, actor=actor, workspace_id=link.workspace_id, note=note)
            locale = language.for_chat(TELEGRAM, chat_id, link.workspace_id)
            client.edit(chat_id, message.get("message_id"), *render.card(card, locale=locale))
    except VistaFlowError as exc:
        return exc.message, {"handled": False, "reason": exc.code}
    return note or _("Done"), {"handled": True, "note": note}


def _post_choices(
    chat_id: int, message: dict[str, Any], target_id: int, actor: Actor, workspace_id: int
) -> tuple[str | None, dict[str, Any]]:
    """ "Approve with template…": one message per template under the card, its text as sent, with Send."""
    card = actions.card_for(target_id, actor=actor, workspace_id=workspace_id)
    if card.closed:
        return card_actions.ALREADY_HANDLED, {"handled": False, "reason": "closed"}
    locale = language.for_chat(TELEGRAM, chat_id, workspace_id)
    under = deliveries.card_at(TELEGRAM, str(chat_id), str(message.get("message_id")))
    # Send under a choice takes the approval key of the card it was posted under: one approval per card.
    card_key = deliveries.approval_key(under) if under is not None and under.target_id == target_id else None
    posted = 0
    for option in cards.choices(card, actor=actor):
        text, markup = render.choice(card, option, locale=locale)
        try:
            ref = client.send(chat_id, text, markup, reply_to=message.get("message_id"))
        except TelegramFailure as failure:  # the chat refused one: say how many went rather than fail the tap
            log.warning("could not post a template choice: %s", failure)
            break
        data = {"template_id": option.template_id, "text": option.text, "card_key": card_key}
        deliveries.record_sent(workspace_id, TELEGRAM, str(chat_id), CHOICE, target_id, str(ref), data)
        posted += 1
    if not posted:
        return _("This workspace has no DM template yet: add one in VistaFlow > Templates."), {"handled": False}
    return _("Read them below, then tap Send under the one to use."), {"handled": True, "choices": posted}


def _refresh_choices(chat_id: int, target_id: int, actor: Actor, workspace_id: int) -> None:
    """After a Send under the card, the choices drop their buttons once nothing more can go (the card says why)."""
    card = actions.card_for(target_id, actor=actor, workspace_id=workspace_id)
    if not card.closed:
        return  # refused (quota, window): the choices stay, the card's note says why
    locale = language.for_chat(TELEGRAM, chat_id, workspace_id)
    by_template = {option.template_id: option for option in cards.choices(card, actor=actor)}
    for sent in deliveries.sent_about(TELEGRAM, str(chat_id), target_id, CHOICE):
        option = by_template.get((sent.data or {}).get("template_id"))
        if option is None or (sent.data or {}).get("done"):
            continue
        text, _markup = render.choice(card, option, locale=locale)
        try:
            client.edit(chat_id, sent.message_ref or 0, text, None)
        except TelegramFailure as failure:  # a deleted choice message: the others still lose their button
            log.warning("could not update a template choice: %s", failure)
        deliveries.mark_done(sent.id)


def _ask_for_text(
    chat_id: int, message: dict[str, Any], target_id: int, actor: Actor, workspace_id: int
) -> tuple[str | None, dict[str, Any]]:
    """ "Edit the text": ask for the new words by a forced reply; the reply is drafted on a new card."""
    card = actions.card_for(target_id, actor=actor, workspace_id=workspace_id)
    if card.closed:
        return card_actions.ALREADY_HANDLED, {"handled": False, "reason": "closed"}
    text, force = render.edit_prompt(card, locale=language.for_chat(TELEGRAM, chat_id, workspace_id))
    ref = client.send(chat_id, text, force, reply_to=message.get("message_id"))
    deliveries.record_sent(workspace_id, TELEGRAM, str(chat_id), PROMPT, target_id, str(ref), {})
    return _("Reply to the message below with the new text."), {"handled": True}


TEXT_CHANGED = _("This template now reads differently: tap “Approve with template…” again to read it before sending.")


def _choice_changed(choice: ChatMessage, target_id: int, actor: Actor, workspace_id: int) -> str | None:
    """Send goes only if the template still renders to the text the choice showed (not edited, route unchanged)."""
    shown = (choice.data or {}).get("text")
    template_id = (choice.data or {}).get("template_id")
    card = actions.card_for(target_id, actor=actor, workspace_id=workspace_id)
    now = {option.template_id: option.text for option in cards.choices(card, actor=actor)}
    if card.closed or template_id not in now:
        return None  # nothing to send any more: the approval itself says "Already handled"
    return TEXT_CHANGED if now[template_id] != shown else None
