"""Words both bots use: the card's lines, the other alerts, and statuses (rendered per chat elsewhere)."""

from __future__ import annotations

from typing import Any

from core.models import LeadStatus
from core.services.chat.cards import Card

PLATFORMS = {"instagram": "Instagram", "tiktok": "TikTok"}
LEAD_STATUSES = [s.value for s in LeadStatus]
EXCERPT = 280


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def card_headline(card: Card) -> str:
    return f"🔥 @{card.username} on {PLATFORMS.get(card.platform, card.platform)} — score {card.score}"


def card_details(card: Card) -> list[str]:
    lines = [f"Account: @{card.account_username} · workspace {card.workspace_name}"]
    if card.reasons:
        lines.append("Why: " + "; ".join(card.reasons))
    if card.last_comment:
        lines.append(f"Last comment: “{excerpt(card.last_comment)}”")
    if card.lead_status:
        lines.append(f"Lead #{card.lead_id}: {card.lead_status}")
    return lines


def card_status(card: Card) -> str | None:
    """The line under the card saying what happened, or why no DM can be sent."""
    parts = [p for p in (card.outcome, card.note) if p]
    if not parts and not card.dm_offered and card.draft_dm_id is None and card.unavailable_reason:
        parts.append(card.unavailable_reason)
    return " · ".join(parts) or None


def alert_text(kind: str, data: dict[str, Any], extra: dict[str, Any]) -> str:
    """Plain text of a non-card alert; `extra` holds what was looked up when posting."""
    if kind == "dm_replied":
        who = extra.get("username") or "someone"
        lead = f" (lead #{data['lead_id']})" if data.get("lead_id") else ""
        return f"💬 @{who} replied to your DM{lead}. Reply from the {PLATFORMS.get(extra.get('platform'), '')} inbox."
    if kind == "needs_reconnect":
        platform = PLATFORMS.get(data.get("platform"), data.get("platform") or "")
        reason = f": {data['reason']}" if data.get("reason") else ""
        return f"⚠️ {platform} account @{data.get('username')} needs to be reconnected in VistaFlow{reason}."
    if kind == "digest":
        return (
            f"📊 Daily digest for {extra.get('workspace_name', 'your workspace')} (last 24 h): "
            f"{data.get('hot', 0)} new hot targets, {data.get('dms_sent', 0)} DMs sent, "
            f"{data.get('replies', 0)} replies, {data.get('leads_moved', 0)} leads moved."
        )
    return kind
