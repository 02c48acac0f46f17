"""Chat commands, the same for Slack (/vistaflow ...) and Telegram (/hot ...): parse, one service, lines."""

from __future__ import annotations

from bot.views import LEAD_STATUSES, PLATFORMS
from core.errors import Invalid, VistaFlowError
from core.services import leads, targets
from core.services.actors import Actor
from core.services.lead_pipeline import parse_status
from core.services.lead_queries import LeadFilters, LeadSort
from core.services.lead_queries import page as leads_page
from core.services.outreach import quota
from core.validation import whole_number

LIST_LIMIT = 10


def help_lines(prefix: str) -> list[str]:
    return [
        "VistaFlow commands:",
        f"{prefix}hot — the hottest targets right now",
        f"{prefix}leads [status] — recent leads, optionally of one status",
        f"{prefix}lead <id> <status> — move a lead ({', '.join(LEAD_STATUSES)})",
        f"{prefix}quota — DMs sent today per account, against the daily quota",
        f"{prefix}help — this list",
    ]


def hot(workspace_id: int, actor: Actor) -> list[str]:
    page = targets.page(workspace_id, actor=actor, filters=targets.TargetFilters(hot_only=True), limit=LIST_LIMIT)
    if not page.items:
        return ["No hot targets right now."]
    lines = ["Hot targets:"]
    for t in page.items:
        reasons = f" — {'; '.join((t.score_reasons or [])[:2])}" if t.score_reasons else ""
        lines.append(
            f"#{t.id} @{t.username or t.platform_user_id} ({PLATFORMS.get(t.platform, t.platform)}) "
            f"score {t.score}{reasons}"
        )
    return lines


def lead_list(workspace_id: int, actor: Actor, status: str | None) -> list[str]:
    filters = LeadFilters(statuses=[parse_status(status)] if status else [])
    page = leads_page(workspace_id, actor=actor, filters=filters, sort=LeadSort("updated"), limit=LIST_LIMIT)
    if not page.items:
        return [f"No {status} leads." if status else "No leads yet."]
    lines = [f"Leads ({status}):" if status else "Recent leads:"]
    for row in page.items:
        lines.append(
            f"#{row.lead.id} @{row.target.username or row.target.platform_user_id} — {row.lead.status} "
            f"(score {row.target.score})"
        )
    return lines


def move_lead(actor: Actor, lead_id: str, status: str) -> list[str]:
    try:
        number = whole_number(lead_id.lstrip("#"), "id")
    except Invalid:
        number = None
    if number is None:
        raise Invalid("Give a lead number, e.g. lead 12 qualified.", fields={"id": "A number."})
    lead = leads.change_status(number, status, actor=actor)
    return [f"Lead #{lead.id} is now {lead.status}."]


def quota_lines(workspace_id: int, actor: Actor) -> list[str]:
    gauges = quota.gauges(workspace_id, actor=actor)
    if not gauges:
        return ["No connected accounts."]
    return ["DMs today:"] + [f"@{g.account.username}: {g.used}/{g.limit} ({g.remaining} left)" for g in gauges]


def run(workspace_id: int, actor: Actor, words: list[str], prefix: str) -> list[str]:
    """Answer one command (its words without the command name); a refusal comes back in words too."""
    name = (words[0] if words else "help").lower().lstrip("/")
    args = words[1:]
    try:
        if name == "hot":
            return hot(workspace_id, actor)
        if name == "leads":
            return lead_list(workspace_id, actor, args[0] if args else None)
        if name == "lead":
            if len(args) != 2:
                return [f"Usage: {prefix}lead <id> <status>"]
            return move_lead(actor, args[0], args[1])
        if name == "quota":
            return quota_lines(workspace_id, actor)
    except VistaFlowError as exc:
        detail = "; ".join(exc.fields.values())
        return [exc.message + (f" ({detail})" if detail else "")]
    return help_lines(prefix)
