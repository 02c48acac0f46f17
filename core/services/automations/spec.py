"""A rule as the API and the console write it (camelCase), checked whole, each error naming its field."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.models import AutomationMode, DmTemplate, LeadStatus
from core.services.leads.pipeline import clean_tag
from core.validation import clean_name

TRIGGER_ON = ("comment", "story_reply", "message")
# What each trigger listens to among the stored interaction kinds.
KINDS_OF = {"comment": ("comment", "reply"), "story_reply": ("story_reply",), "message": ("message",)}
MAX_KEYWORDS = 50
MAX_KEYWORD = 60
MAX_VARIANTS = 6
MAX_PUBLIC_REPLIES = 10
MAX_PUBLIC_REPLY = 300
MAX_MEDIA = 100
LABELS = "ABCDEF"
HOUR = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]", re.ASCII)

DEFAULTS: dict[str, Any] = {
    "priority": 100,
    "trigger": {"on": ["comment"], "keywords": [], "intent": False, "minIntent": None, "minScore": None},
    "exclude": {"customers": True, "leadStatuses": [], "messagedWithinDays": None},
    "publicReplies": [],
    "mode": AutomationMode.REVIEW.value,
    "active": False,
    "createLead": False,
    "chatAlert": False,
    "leadTag": None,
    "activeHours": None,
}


def _fail(field: str, message: Any) -> Invalid:
    return Invalid(_("The automation is not valid."), fields={field: message})


def _strings(value: Any, field: str, *, most: int, longest: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(field, _("Give a list of texts."))
    cleaned = list(dict.fromkeys(" ".join(v.split()) for v in value if v.strip()))
    for index, text in enumerate(cleaned):
        if all(unicodedata.combining(c) or c.isspace() for c in text):  # nothing left once accents are folded
            raise _fail(f"{field}.{index}", _("Write at least one letter, digit or sign."))
    if len(cleaned) > most:
        raise _fail(field, _("At most %(count)s items.", count=most))
    for index, text in enumerate(cleaned):
        if len(text) > longest:
            raise _fail(f"{field}.{index}", _("At most %(count)s characters.", count=longest))
    return cleaned


def _number(value: Any, field: str, low: float, high: float, *, integer: bool) -> Any:
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        raise _fail(field, _("A number from %(low)s to %(high)s.", low=low, high=high))
    return value


def _trigger(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail("trigger", _("Give the trigger as an object."))
    unknown = set(value) - {"on", "keywords", "intent", "minIntent", "minScore", "mediaIds"}
    if unknown:
        raise _fail(f"trigger.{sorted(unknown)[0]}", _("Unknown field."))
    on = value.get("on") or ["comment"]
    if not isinstance(on, list) or not on or any(kind not in TRIGGER_ON for kind in on):
        raise _fail("trigger.on", _("One or more of: %(choices)s", choices=", ".join(TRIGGER_ON)))
    intent = value.get("intent", False)
    if not isinstance(intent, bool):
        raise _fail("trigger.intent", _("true or false."))
    media = _strings(value.get("mediaIds"), "trigger.mediaIds", most=MAX_MEDIA, longest=128)
    return {
        "on": list(dict.fromkeys(on)),
        "keywords": _strings(value.get("keywords"), "trigger.keywords", most=MAX_KEYWORDS, longest=MAX_KEYWORD),
        "intent": intent,
        "minIntent": _number(value.get("minIntent"), "trigger.minIntent", 0, 1, integer=False),
        "minScore": _number(value.get("minScore"), "trigger.minScore", 0, 100, integer=True),
        "mediaIds": media or None,
    }


def _exclude(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail("exclude", _("Give the exclusions as an object."))
    unknown = set(value) - {"customers", "leadStatuses", "messagedWithinDays"}
    if unknown:
        raise _fail(f"exclude.{sorted(unknown)[0]}", _("Unknown field."))
    customers = value.get("customers", True)
    if not isinstance(customers, bool):
        raise _fail("exclude.customers", _("true or false."))
    statuses = value.get("leadStatuses") or []
    known = [s.value for s in LeadStatus]
    if not isinstance(statuses, list) or any(s not in known for s in statuses):
        raise _fail("exclude.leadStatuses", _("One or more of: %(choices)s", choices=", ".join(known)))
    return {
        "customers": customers,
        "leadStatuses": list(dict.fromkeys(statuses)),
        "messagedWithinDays": _number(
            value.get("messagedWithinDays"), "exclude.messagedWithinDays", 1, 365, integer=True
        ),
    }


def _variants(value: Any, workspace_id: int) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise _fail("variants", _("Give at least one message variant."))
    if len(value) > MAX_VARIANTS:
        raise _fail("variants", _("At most %(count)s variants.", count=MAX_VARIANTS))
    templates = set(db.session.scalars(select(DmTemplate.id).where(DmTemplate.workspace_id == workspace_id)))
    variants = []
    for index, item in enumerate(value):
        field = f"variants.{index}"
        if not isinstance(item, dict):
            raise _fail(field, _("Give each variant as an object."))
        unknown = set(item) - {"id", "templateId", "weight", "paused", "label"}
        if unknown:
            raise _fail(f"{field}.{sorted(unknown)[0]}", _("Unknown field."))
        template_id = item.get("templateId")
        if isinstance(template_id, bool) or not isinstance(template_id, int) or template_id not in templates:
            raise _fail(f"{field}.templateId", _("No such template in this workspace."))
        paused = item.get("paused", False)
        if not isinstance(paused, bool):
            raise _fail(f"{field}.paused", _("true or false."))
        variant_id = item.get("id")
        if variant_id is not None and (isinstance(variant_id, bool) or not isinstance(variant_id, int)):
            raise _fail(f"{field}.id", _("The id of one of this rule's variants."))
        weight = _number(item.get("weight", 50), f"{field}.weight", 1, 100, integer=True)
        variants.append({"id": variant_id, "templateId": template_id, "weight": weight, "paused": paused})
    if all(v["paused"] for v in variants):
        raise _fail("variants", _("Keep at least one variant running."))
    return variants


def _hours(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"from", "until"}:
        raise _fail("activeHours", _('Give {"from": "09:00", "until": "18:00"}, or null for all day.'))
    for key in ("from", "until"):
        if not isinstance(value[key], str) or not HOUR.fullmatch(value[key]):
            raise _fail(f"activeHours.{key}", _("A time such as 09:00."))
    if value["from"] == value["until"]:
        raise _fail("activeHours.until", _("Must differ from the start."))
    return {"from": value["from"], "until": value["until"]}


def _tag(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _fail("leadTag", _("Give a text."))
    return clean_tag(value, "leadTag")


def check(spec: dict[str, Any], workspace_id: int) -> dict[str, Any]:
    """The whole rule, cleaned; Invalid naming the first field that is wrong."""
    known = {"name", "variants", *DEFAULTS}
    unknown = set(spec) - known
    if unknown:
        raise _fail(sorted(unknown)[0], _("Unknown field."))
    merged = {**DEFAULTS, **{k: v for k, v in spec.items() if v is not None or k in ("activeHours", "leadTag")}}
    mode = merged["mode"]
    if mode not in [m.value for m in AutomationMode]:
        raise _fail("mode", _("One of: %(choices)s", choices="automatic, review"))
    for flag in ("active", "createLead", "chatAlert"):
        if not isinstance(merged[flag], bool):
            raise _fail(flag, _("true or false."))
    return {
        "name": clean_name(merged.get("name") or ""),
        "priority": _number(merged["priority"], "priority", 0, 1000, integer=True),
        "trigger": _trigger(merged["trigger"]),
        "exclude": _exclude(merged["exclude"]),
        "variants": _variants(merged.get("variants"), workspace_id),
        "publicReplies": _strings(
            merged["publicReplies"], "publicReplies", most=MAX_PUBLIC_REPLIES, longest=MAX_PUBLIC_REPLY
        ),
        "mode": mode,
        "active": merged["active"],
        "createLead": merged["createLead"],
        "chatAlert": merged["chatAlert"],
        "leadTag": _tag(merged["leadTag"]),
        "activeHours": _hours(merged["activeHours"]),
    }
