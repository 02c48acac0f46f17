"""Telegram messages: HTML text and inline keyboards in the chat's language, callback data within 64 bytes."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from core.i18n import _, render
from core.services.chat import wording as views
from core.services.chat.cards import Card, Choice

MAX_CALLBACK = 64


def _button(text: str, data: str) -> InlineKeyboardButton:
    # Callback data is a short English code ("ap:<target id>"), never the label: any language fits in 64 bytes.
    if len(data.encode()) > MAX_CALLBACK:
        raise ValueError("callback data over 64 bytes")
    return InlineKeyboardButton(text, callback_data=data)


def card(
    card: Card, *, show_statuses: bool = False, confirm_stop: bool = False, locale: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """(HTML text, keyboard) of a hot target message; `confirm_stop` asks again before "Asked to stop", as the
    person is then never contacted again."""

    def say(text: Any) -> str:
        return render(text, locale)

    lines = [f"<b>{escape(views.card_headline(card, locale))}</b>"]
    lines += [escape(line) for line in views.card_details(card, locale)]
    if card.post_url:
        lines.append(f'<a href="{escape(card.post_url, quote=True)}">{escape(say(_("View the post")))}</a>')
    status = views.card_status(card, locale)
    if status:
        lines.append(f"<i>{escape(status)}</i>")
    t = card.target_id
    back = say(_("« Back"))
    rows: list[list[InlineKeyboardButton]] = []
    if show_statuses:
        statuses = [s for s in views.LEAD_STATUSES if s != card.lead_status]
        rows += [
            [_button(views.lead_status_name(s, locale), f"lv:{t}:{s}") for s in statuses[i : i + 3]]
            for i in range(0, len(statuses), 3)
        ]
        rows.append([_button(back, f"bk:{t}")])
    elif confirm_stop:
        sure = say(_("🛑 Yes, they asked to stop: never contact them again"))
        rows.append([_button(sure, f"lb:{t}:opt_out")])
        rows.append([_button(back, f"bk:{t}")])
    else:
        if not card.closed:
            first = [_button(say(_("✅ Approve DM")), f"ap:{t}"), _button(say(_("Skip")), f"sk:{t}")]
            rows.append(first)
            second = [_button(say(_("✏️ Edit the text")), f"ed:{t}")]
            if card.templates:
                second.append(_button(say(_("Approve with template…")), f"tl:{t}"))
            rows.append(second)
        if card.lead_status:
            label = say(_("Lead: %(status)s", status=views.lead_status_name(card.lead_status, locale)))
        else:
            label = say(_("Make lead / status…"))
        rows.append([_button(label, f"ls:{t}")])
        if card.conversation_id is not None and card.conversation_state != "done":
            rows.append([_button(say(_("Assign to me")), f"as:{t}"), _button(say(_("Done")), f"dn:{t}")])
        teach = [_button(say(_("Not a buyer")), f"lb:{t}:not_buyer")] if card.reasons else []
        rows.append([*teach, _button(say(_("🛑 Asked to stop")), f"sc:{t}")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def choice(card: Card, option: Choice, *, locale: str | None = None) -> tuple[str, InlineKeyboardMarkup | None]:
    """(HTML text, Send button) of one template offered under a card, rendered as it would be sent."""
    name = escape(option.name)
    if option.text is None:
        why = escape(render(option.reason or _("It cannot be sent now."), locale))
        return render(_("Template “%(name)s”: %(why)s", name=name, why=why), locale), None
    head = render(_("Template “%(name)s” for @%(who)s:", name=name, who=escape(card.username)), locale)
    text = f"<b>{head}</b>\n{escape(option.text)}"
    if card.closed:
        return text, None
    send = _button(render(_("✅ Send this one"), locale), f"tp:{card.target_id}:{option.template_id}")
    return text, InlineKeyboardMarkup([[send]])


def edit_prompt(card: Card, *, locale: str | None = None) -> tuple[str, ForceReply]:
    """(HTML text, ForceReply) asking for the new text: the reply becomes the drafted DM, shown on a new card."""
    now = card.draft_text or card.preview_text
    lines = [render(_("✏️ Reply to this message with the text to send @%(who)s.", who=escape(card.username)), locale)]
    if now:
        lines.append(render(_("Now: “%(text)s”", text=escape(now)), locale))
    lines.append(escape(render(_("It is drafted and shown on a new card, to approve or skip."), locale)))
    placeholder = render(_("The message to send"), locale)[:64]
    return "\n".join(lines), ForceReply(input_field_placeholder=placeholder)
