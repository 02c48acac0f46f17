"""How an automation's codes read to people: why a comment was held back, and what fired the rule."""

from __future__ import annotations

import json

from core.i18n import Text, _
from core.words import LEAD_STATUS_NAMES


def stored(code: str, message: str) -> str:
    """A reason code carrying a platform rule's message: its msgid and values when it is translatable, so it can
    be said again in each reader's language."""
    if isinstance(message, Text) and message.plural is None:
        value = json.dumps({"m": message.msgid, "p": {k: str(v) for k, v in message.params.items()}})
    else:
        value = json.dumps({"t": str(message)})
    return f"{code}:{value}"[:500]


def _message(value: str) -> str:
    try:
        held = json.loads(value)
    except ValueError:
        return value  # stored before the reasons were coded
    if not isinstance(held, dict):
        return value
    if "m" in held:
        return Text(held["m"], **(held.get("p") or {}))
    return str(held.get("t", ""))


def reason(code: str | None) -> str:
    """A stored reason code ("messaged:30", "ineligible:<the platform rule>") as a sentence in the reader's
    language."""
    if not code:
        return ""
    name, _sep, value = code.partition(":")
    if name == "opted_out":
        return _("The person asked not to be contacted.")
    if name == "customer":
        return _("Already a customer.")
    if name == "lead_status":
        return _("The lead is %(status)s.", status=LEAD_STATUS_NAMES.get(value, value))
    if name == "messaged":
        return _("Already messaged in the last %(days)s days.", days=value)
    if name == "pending":
        return _("A DM to this person already waits in the queue.")
    if name == "taken":
        return _("This comment already has its one private reply.")
    if name == "no_variant":
        return _("Every variant is paused.")
    if name == "no_template":
        return _("The template of this variant was deleted.")
    if name == "ineligible":
        return _message(value)
    return code


def because(code: str | None) -> str:
    """What fired the rule, for people."""
    if not code:
        return ""
    name, _sep, value = code.partition(":")
    if name == "keyword":
        return _("the keyword “%(keyword)s”", keyword=value)
    if name == "intent":
        return _("buying intent")
    if name == "score":
        return _("a score of %(score)s or more", score=value)
    return _("anything they write")


def verdict(found, what: str) -> str:
    """The A/B verdict as a sentence: "Variant B gets more replies (95% confidence)." or "Not enough data yet."."""
    if found.code == "better":
        if what == "wins":
            return _("Variant %(label)s wins more customers (95%% confidence).", label=found.leader)
        return _("Variant %(label)s gets more replies (95%% confidence).", label=found.leader)
    if found.code == "not_enough_data":
        return _("Not enough data yet.")
    if found.code == "no_difference":
        return _("No clear difference between the variants yet.")
    if found.code == "single":
        return _("Only one variant has sent messages.")
    return _("No message sent yet.")
