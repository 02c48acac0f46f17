"""Dates, times, numbers and money as a reader of `locale` writes them, in a given time zone (Babel)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.dates import format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent

from core.i18n import babel_locale

EMPTY = "—"


def _zone(time_zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _aware(value: datetime) -> datetime:
    # Stored times are UTC; a naive one (SQLite) is read as UTC too.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def datetime_text(value: datetime | None, locale: str | None, time_zone: str | None = None) -> str:
    """'1 déc. 2026, 14:05' / 'Dec 1, 2026, 2:05 PM' in `time_zone`."""
    if value is None:
        return EMPTY
    local = _aware(value).astimezone(_zone(time_zone))
    lang = babel_locale(locale)
    pattern = str(lang.datetime_formats["medium"])
    day = babel_date(local, "medium", locale=lang)
    clock = babel_time(local, "short", locale=lang)
    return pattern.replace("{1}", day).replace("{0}", clock)


def date_text(value: date | datetime | None, locale: str | None, time_zone: str | None = None) -> str:
    """'1 déc. 2026' / 'Dec 1, 2026' (a datetime is first moved to `time_zone`)."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = _aware(value).astimezone(_zone(time_zone))
    return babel_date(value, "medium", locale=babel_locale(locale))


def time_text(value: datetime | None, locale: str | None, time_zone: str | None = None) -> str:
    """'14:05' / '2:05 PM' in `time_zone`."""
    if value is None:
        return EMPTY
    return babel_time(_aware(value).astimezone(_zone(time_zone)), "short", locale=babel_locale(locale))


def hour_text(hour: int, locale: str | None) -> str:
    """A whole hour of the day as the locale writes it ("8:00 AM", "08:00")."""
    return babel_time(time(hour), format="short", locale=babel_locale(locale))


def duration_text(value: timedelta | None, locale: str | None) -> str:
    """A length of time in short words: "42 min", "3 h", "2 j" (rounded to its largest unit)."""
    if value is None:
        return EMPTY
    return format_timedelta(value, threshold=1, format="short", locale=babel_locale(locale))


def percent_text(value: float | None, locale: str | None) -> str:
    """A share as the locale writes it: "67%", "67 %"."""
    if value is None:
        return EMPTY
    return format_percent(value, locale=babel_locale(locale))


def relative_text(value: datetime | None, locale: str | None, now: datetime | None = None) -> str:
    """'dans 3 heures', 'il y a 2 jours' / 'in 3 hours', '2 days ago' from `now`."""
    if value is None:
        return EMPTY
    delta = _aware(value) - (now or datetime.now(UTC))
    return format_timedelta(delta, add_direction=True, threshold=1.0, locale=babel_locale(locale))


def number_text(value: int | float | Decimal | None, locale: str | None) -> str:
    """'1 234,5' / '1,234.5'."""
    if value is None:
        return EMPTY
    return format_decimal(value, locale=babel_locale(locale))


def money_text(value: int | float | Decimal | None, currency: str, locale: str | None) -> str:
    """'1 234,50 €' / '€1,234.50'."""
    if value is None:
        return EMPTY
    return format_currency(value, currency, locale=babel_locale(locale))
