"""Domain checks on plain values, shared by every door; each raises Invalid naming the field."""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

from email_validator import EmailNotValidError, validate_email

from core.errors import Invalid

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


def clean_email(value: str, field: str = "email") -> str:
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid("The email address is not valid.", fields={field: str(exc)}) from None


def check_password(value: str, field: str = "password") -> str:
    if not isinstance(value, str) or len(value) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "The password is too weak.",
            fields={field: f"Use at least {MIN_PASSWORD_LENGTH} characters."},
        )
    if len(value) > MAX_PASSWORD_LENGTH:
        raise Invalid("The password is too long.", fields={field: f"Use at most {MAX_PASSWORD_LENGTH} characters."})
    return value


def clean_name(value: str, field: str = "name", max_length: int = 120) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise Invalid("A name is required.", fields={field: "Must not be empty."})
    if len(cleaned) > max_length:
        raise Invalid("The name is too long.", fields={field: f"Use at most {max_length} characters."})
    return cleaned


def clean_time_zone(value: str, field: str = "time_zone") -> str:
    value = (value or "").strip()
    if value not in time_zones():
        raise Invalid("Unknown time zone.", fields={field: f"{value!r} is not an IANA time zone (e.g. Europe/Paris)."})
    ZoneInfo(value)
    return value


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
        raise Invalid("Some fields are not valid.", fields=fields)
    return cleaned


MAX_WHOLE_NUMBER = 2**63 - 1  # the largest id (bigint) any door may name


def whole_number(value: str | None, field: str) -> int | None:
    """A whole number typed into a form, query string or chat (blank is None); Invalid naming the field otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    # isdigit() accepts "²" and other digits int() refuses; only plain ASCII 0-9 are a number here.
    if not (text.isascii() and text.isdecimal()) or int(text) > MAX_WHOLE_NUMBER:
        raise Invalid(f"“{text[:20]}” is not a number.", fields={field: "A whole number, e.g. 12."})
    return int(text)


def whole_numbers(values: list[str], field: str) -> list[int]:
    """Every whole number of a repeated form field (blanks dropped); Invalid naming the field on garbage."""
    return [n for n in (whole_number(v, field) for v in values) if n is not None]
