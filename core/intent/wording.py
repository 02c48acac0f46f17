"""Stored reasons (English, in interactions.intent_reason and targets.score_reasons) in the reader's language.

A reason is stored once, in English, so SQL can group by it; each door says it again in its reader's
language when it shows it: 'asked for the price: “cb le coffret ?”' -> 'a demandé le prix : « … »'.
"""

from __future__ import annotations

import re

from core.i18n import Text, _, ngettext, render

# The phrases a reason may start with, each marked for translation.
PHRASES = {
    "asked for the price": _("asked for the price"),
    "asked for a link": _("asked for a link"),
    "asked where to buy": _("asked where to buy"),
    "asked about availability": _("asked about availability"),
    "asked about delivery": _("asked about delivery"),
    "asked to book": _("asked to book"),
    "said they want it": _("said they want it"),
    "asked for a private message": _("asked for a private message"),
    "asked for information": _("asked for information"),
    "showed buying intent": _("showed buying intent"),
    "marked a buyer by the team": _("marked a buyer by the team"),
    "asked a question": _("asked a question"),
    "asked not to be contacted": _("asked not to be contacted"),
}
_QUOTED = re.compile(r"^(?P<why>[^:“]+): “(?P<quote>.*)”$", re.DOTALL)
_COUNTED = re.compile(r"^(?P<n>\d+) (?P<what>[a-z ]+?)(?P<recent> in 48 h)?$")
_ENGAGED = re.compile(r"^engaged on (?P<n>\d+) posts$")
_MENTIONED = re.compile(r"^mentioned you(?: (?P<n>\d+) times)?$")


def _counted(n: int, what: str, recent: bool) -> Text | None:
    if what in ("message", "messages"):
        counted = ngettext("%(num)d message", "%(num)d messages", n)
    elif what in ("comment", "comments"):
        counted = ngettext("%(num)d comment", "%(num)d comments", n)
    elif what in ("reply in a thread", "replies in threads"):
        counted = ngettext("%(num)d reply in a thread", "%(num)d replies in threads", n)
    elif what in ("story reply or mention", "story replies or mentions"):
        counted = ngettext("%(num)d story reply or mention", "%(num)d story replies or mentions", n)
    elif what in ("hidden comment", "hidden comments"):
        counted = ngettext("%(num)d hidden comment", "%(num)d hidden comments", n)
    else:
        return None
    return _("%(what)s in 48 h", what=counted) if recent else counted


def say(reason: str | None) -> str | Text:
    """The reason as a translatable message; a reason this module does not know stays as it is."""
    if not reason:
        return ""
    quoted = _QUOTED.match(reason)
    if quoted and quoted["why"] in PHRASES:
        return _("%(why)s: “%(quote)s”", why=PHRASES[quoted["why"]], quote=quoted["quote"])
    if reason in PHRASES:
        return PHRASES[reason]
    if counted := _COUNTED.match(reason):
        said = _counted(int(counted["n"]), counted["what"], bool(counted["recent"]))
        if said is not None:
            return said
    if engaged := _ENGAGED.match(reason):
        return ngettext("engaged on %(num)d post", "engaged on %(num)d posts", int(engaged["n"]))
    if mentioned := _MENTIONED.match(reason):
        times = int(mentioned["n"] or 1)
        return ngettext("mentioned you", "mentioned you %(num)d times", times)
    return reason


def in_locale(reason: str | None, locale: str | None) -> str:
    """The reason in `locale` (English when it has no translation)."""
    return render(say(reason), locale)
