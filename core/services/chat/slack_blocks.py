"""Block Kit for the hot target card and the other alerts, in the channel's language."""

from __future__ import annotations

from typing import Any

from core.i18n import _, render
from core.platforms.slack import escape
from core.services.chat import wording as views
from core.services.chat.cards import Card


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


def card(card: Card, locale: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of a hot target card; buttons only while an action is possible."""

    def say(text: Any) -> str:
        return render(text, locale)

    headline = views.card_headline(card, locale)
    details = "\n".join(escape(line) for line in views.card_details(card, locale))
    section: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"*{escape(headline)}*\n{details}"},
    }
    blocks: list[dict[str, Any]] = [section]
    if card.post_url:
        link = f"<{card.post_url}|{escape(say(_('View the post')))}>"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link}]})
    elements: list[dict[str, Any]] = []
    target = str(card.target_id)
    if not card.closed:
        if card.chosen_template_id is not None:
            # A template was picked to read first: Approve now sends that one.
            approve = {
                "action_id": "vf_template",
                "value": f"{card.target_id}:{card.chosen_template_id}",
                "text": {"type": "plain_text", "text": say(_("Approve this template"))[:75]},
            }
        else:
            approve = {
                "action_id": "vf_approve",
                "value": target,
                "text": {"type": "plain_text", "text": say(_("Approve DM"))},
            }
        if card.chosen_template_id is None or card.preview_text:
            elements.append({"type": "button", "style": "primary", **approve})
        if card.templates:
            options = [_option(name, f"{card.target_id}:{tid}") for tid, name in card.templates]
            # Picking a template shows its text on the card; nothing is sent until Approve.
            select: dict[str, Any] = {
                "type": "static_select",
                "action_id": "vf_pick",
                "placeholder": {"type": "plain_text", "text": say(_("Preview a template…"))},
                "options": options,
            }
            picked = [o for o in options if o["value"] == f"{card.target_id}:{card.chosen_template_id}"]
            if picked:
                select["initial_option"] = picked[0]
            elements.append(select)
        elements.append(
            {
                "type": "button",
                "action_id": "vf_skip",
                "value": target,
                "text": {"type": "plain_text", "text": say(_("Skip"))},
            }
        )
    elements.append(
        {
            "type": "button",
            "action_id": "vf_reply",
            "value": target,
            "text": {"type": "plain_text", "text": say(_("Edit or write…"))},
        }
    )
    # The option's value keeps the English status code: only its label is in the channel's language.
    lead_options = [
        _option(say(_("Lead: %(status)s", status=views.lead_status_name(s, locale))), f"{card.target_id}:{s}")
        for s in views.LEAD_STATUSES
    ]
    lead_select: dict[str, Any] = {
        "type": "static_select",
        "action_id": "vf_lead",
        "options": lead_options,
        "placeholder": {"type": "plain_text", "text": say(_("Lead status…"))},
    }
    if card.lead_status:
        lead_select["initial_option"] = next(o for o in lead_options if o["value"].endswith(f":{card.lead_status}"))
    elements.append(lead_select)
    if card.conversation_id is not None and card.conversation_state != "done":
        for action_id, label in (("vf_assign", _("Assign to me")), ("vf_done", _("Done"))):
            elements.append(
                {
                    "type": "button",
                    "action_id": action_id,
                    "value": target,
                    "text": {"type": "plain_text", "text": say(label)},
                }
            )
    # Teach the reader from the chat: the person is no buyer, or asked to stop (confirmed, it blocks them).
    if card.reasons:
        elements.append(
            {
                "type": "button",
                "action_id": "vf_teach",
                "value": f"{card.target_id}:not_buyer",
                "text": {"type": "plain_text", "text": say(_("Not a buyer"))},
            }
        )
    elements.append(
        {
            "type": "button",
            "action_id": "vf_teach",
            "value": f"{card.target_id}:opt_out",
            "style": "danger",
            "text": {"type": "plain_text", "text": say(_("Asked to stop"))},
            "confirm": {
                "title": {"type": "plain_text", "text": say(_("Asked to stop"))},
                "text": {"type": "plain_text", "text": say(_("Adds the person to the do-not-contact list now."))},
                "confirm": {"type": "plain_text", "text": say(_("Asked to stop"))},
                "deny": {"type": "plain_text", "text": say(_("Cancel"))},
            },
        }
    )
    blocks.append({"type": "actions", "block_id": f"vf_card_{card.target_id}", "elements": elements})
    status = views.card_status(card, locale)
    if status:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(status)}]})
    text = headline + (f" — {status}" if status else "")
    return text, blocks


def alert(text: str, *, reply_to: int | None = None, locale: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """A plain alert; `reply_to` (a person's id) adds the "Write a message…" button for them."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": escape(text)}}]
    if reply_to is not None:
        button = {
            "type": "button",
            "action_id": "vf_reply",
            "value": str(reply_to),
            "text": {"type": "plain_text", "text": render(_("Write a message…"), locale)},
        }
        blocks.append({"type": "actions", "block_id": f"vf_alert_{reply_to}", "elements": [button]})
    return text, blocks


REPLY_MODAL = "vf_reply_modal"
REPLY_BLOCK = "vf_reply_text"


def reply_modal(card: Card, private_metadata: str, locale: str | None = None) -> dict[str, Any]:
    """The modal a teammate writes a DM in: what is known of the person, then the message to draft."""

    def say(text: Any) -> str:
        return render(text, locale)

    context = [views.card_headline(card, locale), *views.card_details(card, locale)]
    status = views.card_status(card, locale)
    if status:
        context.append(status)
    return {
        "type": "modal",
        "callback_id": REPLY_MODAL,
        "private_metadata": private_metadata,
        # Slack allows 24 characters in a modal's title and its buttons.
        "title": {"type": "plain_text", "text": say(_("Write to @%(who)s", who=card.username))[:24]},
        "submit": {"type": "plain_text", "text": say(_("Draft it"))[:24]},
        "close": {"type": "plain_text", "text": say(_("Cancel"))[:24]},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": escape("\n".join(context))[:3000]}},
            {
                "type": "input",
                "block_id": REPLY_BLOCK,
                "label": {"type": "plain_text", "text": say(_("Your message"))},
                "hint": {
                    "type": "plain_text",
                    "text": say(_("Sent by the window open now, after you approve it on the new card.")),
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 1000,
                    # The text Approve would send, to change a word rather than retype it.
                    **({"initial_value": prefill} if (prefill := card.draft_text or card.preview_text) else {}),
                },
            },
        ],
    }
