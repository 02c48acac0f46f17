"""Domain checks on plain values, shared by every door; each raises Invalid naming the field."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

from email_validator import EmailNotValidError, validate_email

from core import i18n
from core.errors import Invalid
from core.i18n import _
from core.security import password_policy

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


def clean_email(value: str, field: str = "email") -> str:
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(_("The email address is not valid."), fields={field: str(exc)}) from None


def check_password(value: str, field: str = "password", *, personal: Iterable[str] = ()) -> str:
    """A password long enough and hard to guess; `personal` (name, email) may not make it up."""
    if not isinstance(value, str) or len(value) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            _("The password is too weak."),
            fields={
                field: _("Use at least %(min_password_length)s characters.", min_password_length=MIN_PASSWORD_LENGTH)
            },
        )
    if len(value) > MAX_PASSWORD_LENGTH:
        raise Invalid(
            _("The password is too long."),
            fields={
                field: _("Use at most %(max_password_length)s characters.", max_password_length=MAX_PASSWORD_LENGTH)
            },
        )
    reason = password_policy.weakness(value, personal)
    if reason is not None:
        raise Invalid(_("The password is too easy to guess."), fields={field: reason})
    return value


def clean_name(value: str, field: str = "name", max_length: int = 120) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise Invalid(_("A name is required."), fields={field: _("Must not be empty.")})
    if len(cleaned) > max_length:
        raise Invalid(
            _("The name is too long."),
            fields={field: _("Use at most %(max_length)s characters.", max_length=max_length)},
        )
    return cleaned


def clean_time_zone(value: str, field: str = "time_zone") -> str:
    value = (value or "").strip()
    if value not in time_zones():
        raise Invalid(
            _("Unknown time zone."),
            fields={field: _("%(value)r is not an IANA time zone (e.g. Europe/Paris).", value=value)},
        )
    ZoneInfo(value)
    return value


def clean_locale(value: str | None, field: str = "locale") -> str | None:
    """A supported language code ('en', 'fr'); blank clears the choice (the browser decides)."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if text not in i18n.SUPPORTED:
        raise Invalid(
            _("Unknown language."),
            fields={field: _("Choose one of: %(codes)s.", codes=", ".join(i18n.SUPPORTED))},
        )
    return text


ZONES: set[str] | None = None


def time_zones() -> set[str]:
    global ZONES
    if ZONES is None:
        ZONES = available_timezones() | {"UTC"}
    return ZONES


def collect(**checks):
    """Run each named check (a zero-argument callable) and raise one Invalid naming every bad field."""
    cleaned: dict[str, object] = {}
    fields: dict[str, str] = {}
    for name, check in checks.items():
        try:
            cleaned[name] = check()
        except Invalid as exc:
            fields.update(exc.fields or {name: exc.message})
    if fields:
        raise Invalid(_("Some fields are not valid."), fields=fields)
    return cleaned


MAX_WHOLE_NUMBER = 2**63 - 1  # the largest id (bigint) any door may name


def whole_number(value: str | None, field: str) -> int | None:
    """A whole number typed into a form, query string or chat (blank is None); Invalid naming the field otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    # isdigit() accepts "²" and other digits int() refuses; only plain ASCII 0-9 are a number here.
    if not (text.isascii() and text.isdecimal()) or int(text) > MAX_WHOLE_NUMBER:
        raise Invalid(_("“%(text)s” is not a number.", text=text[:20]), fields={field: _("A whole number, e.g. 12.")})
    return int(text)


def whole_numbers(values: list[str], field: str) -> list[int]:
    """Every whole number of a repeated form field (blanks dropped); Invalid naming the field on garbage."""
    return [n for n in (whole_number(v, field) for v in values) if n is not None]


# Every date a filter may name, in UTC: wide enough for any real question, narrow enough that moving it
# to UTC or another time zone never leaves the years datetime can hold (0001-01-01 in Paris is year 0).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def clean_instant(value: datetime | None, field: str) -> datetime | None:
    """A date-time from a filter, in UTC (naive means UTC); Invalid naming the field outside 1900-2999."""
    if value is None:
        return None
    try:
        instant = (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise Invalid(
            _("A date is out of range."),
            fields={
                field: _(
                    "Use a date between %(earliest)s and %(latest)s.",
                    earliest=EARLIEST.strftime("%Y-%m-%d"),
                    latest=LATEST.strftime("%Y-%m-%d"),
                )
            },
        )
    return instant
