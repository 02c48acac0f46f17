"""The lead status pipeline and the field rules shared by every door (statuses, tags, notes, value)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.errors import Conflict, Invalid
from core.i18n import _
from core.models import LeadStatus

OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.REPLIED, LeadStatus.QUALIFIED)
CLOSED_STATUSES = (LeadStatus.WON, LeadStatus.LOST)

# new -> contacted -> replied -> qualified -> won | lost; any open status may be lost;
# a closed lead may be reopened to qualified.
TRANSITIONS: dict[LeadStatus, tuple[LeadStatus, ...]] = {
    LeadStatus.NEW: (LeadStatus.CONTACTED, LeadStatus.LOST),
    LeadStatus.CONTACTED: (LeadStatus.REPLIED, LeadStatus.LOST),
    LeadStatus.REPLIED: (LeadStatus.QUALIFIED, LeadStatus.LOST),
    LeadStatus.QUALIFIED: (LeadStatus.WON, LeadStatus.LOST),
    LeadStatus.WON: (LeadStatus.QUALIFIED,),
    LeadStatus.LOST: (LeadStatus.QUALIFIED,),
}

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MAX_NOTES_LENGTH = 10_000
MAX_NOTE_LENGTH = 2_000
MAX_VALUE = Decimal("9999999999.99")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_status(value: str, field: str = "status") -> LeadStatus:
    """A LeadStatus from its name, or Invalid listing the statuses."""
    try:
        return LeadStatus((value or "").strip().lower())
    except ValueError:
        raise Invalid(
            _("Unknown lead status."), fields={field: "One of: " + ", ".join(s.value for s in LeadStatus) + "."}
        ) from None


def allowed_from(status: LeadStatus) -> tuple[LeadStatus, ...]:
    return TRANSITIONS[status]


def check_transition(current: LeadStatus, new: LeadStatus) -> None:
    """Refuse a move the pipeline does not allow, naming the allowed ones (Conflict)."""
    allowed = TRANSITIONS[current]
    if new not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise Conflict(
            _(
                "A lead cannot move from %(value)s to %(value2)s; allowed from %(value)s: %(names)s.",
                value=current.value,
                value2=new.value,
                names=names,
            ),
            fields={"status": _("Allowed from %(value)s: %(names)s.", value=current.value, names=names)},
        )


def is_closed(status: LeadStatus) -> bool:
    return status in CLOSED_STATUSES


def clean_tag(value: str, field: str = "tags") -> str:
    """Lower-case, trimmed, inner whitespace collapsed; no commas (the CSV joins tags with them)."""
    tag = _SPACES.sub(" ", (value or "").strip().lower())
    if not tag:
        raise Invalid(_("A tag must not be empty."), fields={field: _("Tags must not be empty.")})
    if len(tag) > MAX_TAG_LENGTH:
        raise Invalid(
            _("A tag is too long."),
            fields={field: _("Each tag is at most %(max_tag_length)s characters.", max_tag_length=MAX_TAG_LENGTH)},
        )
    if "," in tag or _CONTROL.search(tag):
        raise Invalid(_("A tag has a forbidden character."), fields={field: _("Tags cannot contain commas.")})
    return tag


def clean_tags(values: list[str], field: str = "tags") -> list[str]:
    """Normalised, de-duplicated tags in first-seen order."""
    tags: list[str] = []
    for value in values:
        tag = clean_tag(value, field)
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise Invalid(_("Too many tags."), fields={field: _("At most %(max_tags)s tags per lead.", max_tags=MAX_TAGS)})
    return tags


def clean_notes(value: str | None, field: str = "notes", max_length: int = MAX_NOTES_LENGTH) -> str | None:
    if value is None:
        return None
    text = value.replace("\r\n", "\n").strip()
    if len(text) > max_length:
        raise Invalid(
            _("The text is too long."), fields={field: _("At most %(max_length)s characters.", max_length=max_length)}
        )
    return text or None


def clean_value(value: object, field: str = "value") -> Decimal | None:
    """An estimated value: 0 to 9,999,999,999.99, rounded to cents; None or "" clears it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise Invalid(_("The value is not a number."), fields={field: _("A number, e.g. 1500 or 99.90.")})
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(_("The value is not a number."), fields={field: _("A number, e.g. 1500 or 99.90.")}) from None
    if not number.is_finite() or number < 0 or number > MAX_VALUE:
        raise Invalid(
            _("The value is out of range."), fields={field: _("Between 0 and %(max_value)s.", max_value=MAX_VALUE)}
        )
    return number.quantize(Decimal("0.01"))
