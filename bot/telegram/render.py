"""Telegram messages: HTML text and inline keyboards, with callback data within 64 bytes."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import views
from core.services.chat.cards import Card

MAX_CALLBACK = 64


def _button(text: str, data: str) -> InlineKeyboardButton:
    if len(data.encode()) > MAX_CALLBACK:
        raise ValueError("callback data over 64 bytes")
    return InlineKeyboardButton(text, callback_data=data)


def card(card: Card, *, show_statuses: bool = False, show_templates: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """(HTML text, keyboard) of a hot target message."""
    lines = [f"<b>{escape(views.card_headline(card))}</b>"]
    lines += [escape(line) for line in views.card_details(card)]
    if card.post_url:
        lines.append(f'<a href="{escape(card.post_url, quote=True)}">View the post</a>')
    status = views.card_status(card)
    if status:
        lines.append(f"<i>{escape(status)}</i>")
    t = card.target_id
    rows: list[list[InlineKeyboardButton]] = []
    if show_statuses:
        statuses = [s for s in views.LEAD_STATUSES if s != card.lead_status]
        rows += [[_button(s, f"lv:{t}:{s}") for s in statuses[i : i + 3]] for i in range(0, len(statuses), 3)]
        rows.append([_button("« Back", f"bk:{t}")])
    elif show_templates:
        rows += [[_button(name[:40], f"tp:{t}:{tid}")] for tid, name in card.templates]
        rows.append([_button("« Back", f"bk:{t}")])
    else:
        if not card.closed:
            first = [_button("✅ Approve DM", f"ap:{t}"), _button("Skip", f"sk:{t}")]
            rows.append(first)
            if card.templates:
                rows.append([_button("Approve with template…", f"tl:{t}")])
        label = f"Lead: {card.lead_status}" if card.lead_status else "Make lead / status…"
        rows.append([_button(label, f"ls:{t}")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)
