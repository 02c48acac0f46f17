"""Chat commands, the same for Slack (/vistaflow ...) and Telegram (/hot ...): parse, one service, lines.

Each line is a core `Text` (English as a plain string); the door renders the lines in the reader's language.
"""

from __future__ import annotations

from core.errors import Invalid, VistaFlowError
from core.i18n import Text, _
from core.services.chat.wording import LEAD_STATUSES, PLATFORMS
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.leads.pipeline import parse_status
from core.services.leads.queries import LeadFilters, LeadSort
from core.services.leads.queries import page as leads_page
from core.services.outreach import quota
from core.services.targets import read as targets
from core.validation import whole_number
from core.words import LEAD_STATUS_NAMES

LIST_LIMIT = 10


def _status(status: str) -> Text | str:
    return LEAD_STATUS_NAMES.get(status, status)


def help_lines(prefix: str) -> list[str]:
    return [
        _("VistaFlow commands:"),
        _("%(prefix)shot — the hottest targets right now", prefix=prefix),
        _("%(prefix)sleads [status] — recent leads, optionally of one status", prefix=prefix),
        _(
            "%(prefix)slead <id> <status> — move a lead (%(statuses)s)",
            prefix=prefix,
            statuses=", ".join(LEAD_STATUSES),
        ),
        _("%(prefix)squota — DMs sent today per account, against the daily quota", prefix=prefix),
        _("%(prefix)shelp — this list", prefix=prefix),
    ]


def hot(workspace_id: int, actor: Actor) -> list[str]:
    page = targets.page(workspace_id, actor=actor, filters=targets.TargetFilters(hot_only=True), limit=LIST_LIMIT)
    if not page.items:
        return [_("No hot targets right now.")]
    lines: list[str] = [_("Hot targets:")]
    for t in page.items:
        reasons = f" — {'; '.join((t.score_reasons or [])[:2])}" if t.score_reasons else ""
        lines.append(
            _(
                "#%(id)s @%(username)s (%(platform)s) score %(score)s%(reasons)s",
                id=t.id,
                username=t.username or t.platform_user_id,
                platform=PLATFORMS.get(t.platform, t.platform),
                score=t.score,
                reasons=reasons,
            )
        )
    return lines


def lead_list(workspace_id: int, actor: Actor, status: str | None) -> list[str]:
    filters = LeadFilters(statuses=[parse_status(status)] if status else [])
    page = leads_page(workspace_id, actor=actor, filters=filters, sort=LeadSort("updated"), limit=LIST_LIMIT)
    if not page.items:
        return [_("No %(status)s leads.", status=_status(status)) if status else _("No leads yet.")]
    lines: list[str] = [_("Leads (%(status)s):", status=_status(status)) if status else _("Recent leads:")]
    for row in page.items:
        lines.append(
            _(
                "#%(id)s @%(username)s — %(status)s (score %(score)s)",
                id=row.lead.id,
                username=row.target.username or row.target.platform_user_id,
                status=_status(row.lead.status),
                score=row.target.score,
            )
        )
    return lines


def move_lead(workspace_id: int, actor: Actor, lead_id: str, status: str) -> list[str]:
    try:
        number = whole_number(lead_id.lstrip("#"), "id")
    except Invalid:
        number = None
    if number is None:
        raise Invalid(_("Give a lead number, e.g. lead 12 qualified."), fields={"id": _("A number.")})
    # The chat belongs to one workspace: a lead of another (even one the person works in) is not found.
    lead = leads.change_status(number, status, actor=actor, workspace_id=workspace_id)
    return [_("Lead #%(id)s is now %(status)s.", id=lead.id, status=_status(lead.status))]


def quota_lines(workspace_id: int, actor: Actor) -> list[str]:
    gauges = quota.gauges(workspace_id, actor=actor)
    if not gauges:
        return [_("No connected accounts.")]
    return [_("DMs today:")] + [
        _(
            "@%(username)s: %(used)s/%(limit)s (%(remaining)s left)",
            username=g.account.username,
            used=g.used,
            limit=g.limit,
            remaining=g.remaining,
        )
        for g in gauges
    ]


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
                return [_("Usage: %(prefix)slead <id> <status>", prefix=prefix)]
            return move_lead(workspace_id, actor, args[0], args[1])
        if name == "quota":
            return quota_lines(workspace_id, actor)
    except VistaFlowError as exc:
        if exc.fields:
            return [_("%(message)s (%(detail)s)", message=exc.message, detail=_joined(list(exc.fields.values())))]
        return [exc.message]
    return help_lines(prefix)


def _joined(parts: list[str]) -> Text:
    # A Text whose pieces are themselves Texts: "%(a)s; %(b)s" with each piece rendered in the same locale.
    names = {f"p{i}": part for i, part in enumerate(parts)}
    return Text("; ".join(f"%({name})s" for name in names), **names)
