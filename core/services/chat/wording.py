"""Words both bots use: the card's lines, the other alerts, and statuses, in the chat's language."""

from __future__ import annotations

from typing import Any

from core import formatting
from core.i18n import _, ngettext, render
from core.intent import wording as reason_wording
from core.models import LeadStatus
from core.services.chat.cards import PLATFORM_NAMES, Card
from core.words import LEAD_STATUS_NAMES

PLATFORMS = PLATFORM_NAMES
LEAD_STATUSES = [s.value for s in LeadStatus]
EXCERPT = 280


# A drafted DM is shown nearly whole (Instagram DMs are short): what is approved is what was read.
DRAFT_EXCERPT = 600


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def lead_status_name(status: str, locale: str | None) -> str:
    return render(LEAD_STATUS_NAMES.get(status, status), locale)


def card_headline(card: Card, locale: str | None = None) -> str:
    platform = PLATFORMS.get(card.platform, card.platform)
    return render(
        _(
            "🔥 @%(username)s on %(platform)s — score %(score)s",
            username=card.username,
            platform=platform,
            score=card.score,
        ),
        locale,
    )


def card_details(card: Card, locale: str | None = None) -> list[str]:
    lines = [
        _(
            "Account: @%(account)s · workspace %(workspace)s",
            account=card.account_username,
            workspace=card.workspace_name,
        )
    ]
    if card.reasons:
        said = "; ".join(reason_wording.in_locale(reason, locale) for reason in card.reasons)
        lines.append(_("Why: %(reasons)s", reasons=said))
    if card.likely_to_reply is not None:
        lines.append(_("likely to reply: %(chance)s in 10", chance=card.likely_to_reply))
    if card.last_comment:
        lines.append(_("Last comment: “%(comment)s”", comment=excerpt(card.last_comment)))
    if card.chosen_template_id is not None and not card.closed:
        if card.preview_text:
            lines.append(
                _(
                    "Template “%(name)s” sends: “%(text)s”",
                    name=card.chosen_template_name,
                    text=excerpt(card.preview_text, DRAFT_EXCERPT),
                )
            )
    elif card.draft_text:
        lines.append(_("Drafted DM: “%(text)s”", text=excerpt(card.draft_text, DRAFT_EXCERPT)))
    elif card.preview_text and not card.closed:
        lines.append(_("Approve sends: “%(text)s”", text=excerpt(card.preview_text, DRAFT_EXCERPT)))
    if card.sent_text and not card.draft_text:
        lines.append(_("Sent text: “%(text)s”", text=excerpt(card.sent_text, DRAFT_EXCERPT)))
    if card.route_until is not None and not card.closed:
        until = formatting.datetime_text(card.route_until, locale, card.time_zone)
        if card.route_kind == "private_reply":
            lines.append(
                _(
                    "As a private reply to “%(comment)s”, possible until %(until)s",
                    comment=excerpt(card.route_comment, 80),
                    until=until,
                )
            )
        else:
            lines.append(_("As a message, window open until %(until)s", until=until))
        if card.quota_left is not None:
            lines.append(
                ngettext(
                    "%(num)d DM left today on this account", "%(num)d DMs left today on this account", card.quota_left
                )
            )
    if card.conversation_state == "done":
        lines.append(_("Conversation done"))
    elif card.assignee:
        lines.append(_("Conversation assigned to %(who)s", who=card.assignee))
    if card.lead_status:
        lines.append(
            _(
                "Lead #%(lead_id)s: %(status)s",
                lead_id=card.lead_id,
                status=LEAD_STATUS_NAMES.get(card.lead_status, card.lead_status),
            )
        )
    return [render(line, locale) for line in lines]


def card_status(card: Card, locale: str | None = None) -> str | None:
    """The line under the card saying what happened, or why no DM can be sent."""
    parts = [p for p in (card.outcome, card.note) if p]
    if not parts and not card.dm_offered and card.draft_dm_id is None and card.unavailable_reason:
        parts.append(card.unavailable_reason)
    return " · ".join(render(parts, locale)) or None


def alert_text(kind: str, data: dict[str, Any], extra: dict[str, Any], locale: str | None = None) -> str:
    """Plain text of a non-card alert; `extra` holds what was looked up when posting."""
    if kind == "dm_replied":
        who = extra.get("username") or render(_("someone"), locale)
        platform = PLATFORMS.get(extra.get("platform"), "")
        if data.get("lead_id"):
            text = _(
                "💬 @%(who)s replied to your DM (lead #%(lead_id)s). Reply from the %(platform)s inbox.",
                who=who,
                lead_id=data["lead_id"],
                platform=platform,
            )
        else:
            text = _("💬 @%(who)s replied to your DM. Reply from the %(platform)s inbox.", who=who, platform=platform)
        lines = [render(text, locale)]
        if extra.get("said"):
            lines.append(render(_("“%(text)s”", text=excerpt(extra["said"])), locale))
            if extra.get("provider") == "telegram":
                lines.append(render(_("Reply to this message to write back from here."), locale))
            else:
                lines.append(render(_("Use “Write a message…” below to write back from here."), locale))
        return "\n".join(lines)
    if kind == "needs_reconnect":
        platform = PLATFORMS.get(data.get("platform"), data.get("platform") or "")
        username = data.get("username")
        if data.get("reason"):
            text = _(
                "⚠️ %(platform)s account @%(username)s needs to be reconnected in VistaFlow: %(reason)s.",
                platform=platform,
                username=username,
                reason=data["reason"],
            )
        else:
            text = _(
                "⚠️ %(platform)s account @%(username)s needs to be reconnected in VistaFlow.",
                platform=platform,
                username=username,
            )
        return render(text, locale)
    if kind == "automation":
        values = {
            "name": data.get("rule"),
            "username": data.get("username") or "?",
            "said": excerpt(data.get("said") or ""),
        }
        if data.get("mode") == "automatic":
            text = _("🤖 Rule “%(name)s” queued a DM to @%(username)s, who wrote “%(said)s”.", **values)
        else:
            text = _(
                "🤖 Rule “%(name)s” drafted a DM to @%(username)s, who wrote “%(said)s”; it waits in the DM queue.",
                **values,
            )
        return render(text, locale)
    if kind == "digest":
        name = extra.get("workspace_name") or render(_("your workspace"), locale)
        counts = [
            ngettext("%(num)d new hot target", "%(num)d new hot targets", int(data.get("hot", 0))),
            ngettext("%(num)d DM sent", "%(num)d DMs sent", int(data.get("dms_sent", 0))),
            ngettext("%(num)d reply", "%(num)d replies", int(data.get("replies", 0))),
            ngettext("%(num)d lead moved", "%(num)d leads moved", int(data.get("leads_moved", 0))),
        ]
        text = _(
            "📊 Daily digest for %(workspace)s (last 24 h): %(counts)s.",
            workspace=name,
            counts=", ".join(render(counts, locale)),
        )
        lines = [render(text, locale)]
        for rule in data.get("automations") or []:
            sent = ngettext("%(num)d DM sent", "%(num)d DMs sent", int(rule.get("sent", 0)))
            replies = ngettext("%(num)d reply", "%(num)d replies", int(rule.get("replied", 0)))
            line = _("🤖 Rule “%(name)s”: %(sent)s, %(replies)s.", name=rule.get("name"), sent=sent, replies=replies)
            lines.append(render(line, locale))
        return "\n".join(lines)
    return kind
