"""How the domain's codes read to people (roles, lead and DM statuses); the codes themselves stay English."""

from __future__ import annotations

from core.i18n import Text, _

ROLE_NAMES: dict[str, Text] = {"owner": _("owner"), "admin": _("admin"), "member": _("member")}

LEAD_STATUS_NAMES: dict[str, Text] = {
    "new": _("new"),
    "contacted": _("contacted"),
    "replied": _("replied"),
    "qualified": _("qualified"),
    "won": _("won"),
    "lost": _("lost"),
}

DM_STATUS_NAMES: dict[str, Text] = {
    "draft": _("draft"),
    "approved": _("approved"),
    "sending": _("sending"),
    "sent": _("sent"),
    "failed": _("failed"),
    "unknown": _("outcome unknown"),
    "skipped": _("skipped"),
    "cancelled": _("cancelled"),
}

SEQUENCE_STATUS_NAMES: dict[str, Text] = {
    "active": _("active"),
    "paused": _("paused"),
    "completed": _("completed"),
    "cancelled": _("cancelled"),
    "stopped": _("stopped (they replied)"),
    "expired": _("expired"),
}
