"""Dates, times, numbers, money and relative times as each language writes them, in a workspace's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import formatting

MOMENT = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)


def test_dates_and_times_follow_the_locale_and_the_time_zone():
    assert formatting.datetime_text(MOMENT, "fr", "Europe/Paris") == "1 déc. 2026, 14:05"
    assert formatting.datetime_text(MOMENT, "en", "Europe/Paris") == "Dec 1, 2026, 2:05\u202fPM"
    assert formatting.datetime_text(MOMENT, "fr", "Asia/Tokyo") == "1 déc. 2026, 22:05"
    assert formatting.date_text(MOMENT, "fr", "Pacific/Honolulu") == "1 déc. 2026"
    assert formatting.date_text(MOMENT, "fr", "Asia/Tokyo") == "1 déc. 2026"
    assert formatting.time_text(MOMENT, "en", "UTC") == "1:05\u202fPM"
    # A naive time (SQLite) is read as UTC; an unknown zone falls back to UTC rather than failing.
    assert formatting.datetime_text(MOMENT.replace(tzinfo=None), "fr", "Nowhere/Else") == "1 déc. 2026, 13:05"
    assert formatting.datetime_text(None, "fr") == "—"


def test_numbers_and_money():
    assert formatting.number_text(1234.5, "fr") == "1\u202f234,5"
    assert formatting.number_text(1234.5, "en") == "1,234.5"
    assert formatting.money_text(1234.5, "EUR", "fr") == "1\u202f234,50\xa0€"
    assert formatting.money_text(1234.5, "EUR", "en") == "€1,234.50"


def test_relative_times():
    assert formatting.relative_text(MOMENT + timedelta(hours=3), "fr", now=MOMENT) == "dans 3 heures"
    assert formatting.relative_text(MOMENT - timedelta(days=2), "fr", now=MOMENT) == "il y a 2 jours"
    assert formatting.relative_text(MOMENT - timedelta(days=2), "en", now=MOMENT) == "2 days ago"
    # An unsupported language is written in English, the fallback.
    assert formatting.relative_text(MOMENT + timedelta(hours=3), "de", now=MOMENT) == "in 3 hours"
