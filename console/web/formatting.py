"""Template filters: dates in the workspace's (or user's) time zone, written as the reader's locale writes them."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_babel import gettext

from console.i18n import current_locale, date_filter, datetime_filter
from core.intent import wording


def local_time(value: datetime | None, fmt: str | None = None) -> str:
    # `fmt` is kept for the templates that ask for a day only ('%Y-%m-%d'): anything without a clock is a date.
    if fmt is not None and "%H" not in fmt:
        return date_filter(value)
    return datetime_filter(value)


def time_left(until: datetime | None, now: datetime | None = None) -> str:
    """How long until `until`, in words a person scans: "2 d 3 h", "5 h 12 min", "8 min", or "closed"."""
    if until is None:
        return "—"
    seconds = int((until - (now or datetime.now(UTC))).total_seconds())
    if seconds <= 0:
        return gettext("closed")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = max(1, rest // 60) if not (days or hours) else rest // 60
    if days:
        return gettext("%(days)s d %(hours)s h", days=days, hours=hours)
    if hours:
        return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return gettext("%(minutes)s min", minutes=minutes)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def browser_name(user_agent: str | None) -> str:
    """ "Firefox on macOS" from a User-Agent header; the header itself (shortened) when it is not a browser."""
    agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in agent), None)
    if browser and system:
        return gettext("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or (agent[:60] or gettext("Unknown browser"))


def reason_words(reason: str | None) -> str:
    """A stored (English) reason of a reading or a score in this request's language."""
    return wording.in_locale(reason, current_locale())


def init_app(app: Flask) -> None:
    app.add_template_filter(browser_name, "browser_name")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(reason_words, "reason")
    app.add_template_filter(time_left, "time_left")
