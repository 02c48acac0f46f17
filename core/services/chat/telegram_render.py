"""Telegram messages: HTML text and inline keyboards in the chat's language, callback data within 64 bytes."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.i18n import _, render
from core.services.chat import wording as views
from core.services.chat.cards import Card

MAX_CALLBACK = 64


def _button(text: str, data: str) -> InlineKeyboardButton:
    # Callback data is a short English code ("ap:<target id>"), never the label: any language fits in 64 bytes.
    if len(data.encode()) > MAX_CALLBACK:
        raise ValueError("callback data over 64 bytes")
    return InlineKeyboardButton(text, callback_data=data)


def card(
    card: Card, *, show_statuses: bool = False, show_templates: bool = False, locale: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """(HTML text, keyboard) of a hot target message."""

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
    elif show_templates:
        rows += [[_button(name[:40], f"tp:{t}:{tid}")] for tid, name in card.templates]
        rows.append([_button(back, f"bk:{t}")])
    else:
        if not card.closed:
            first = [_button(say(_("✅ Approve DM")), f"ap:{t}"), _button(say(_("Skip")), f"sk:{t}")]
            rows.append(first)
            if card.templates:
                rows.append([_button(say(_("Approve with template…")), f"tl:{t}")])
        if card.lead_status:
            label = say(_("Lead: %(status)s", status=views.lead_status_name(card.lead_status, locale)))
        else:
            label = say(_("Make lead / status…"))
        rows.append([_button(label, f"ls:{t}")])
        if card.conversation_id is not None and card.conversation_state != "done":
            rows.append([_button(say(_("Assign to me")), f"as:{t}"), _button(say(_("Done")), f"dn:{t}")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)
