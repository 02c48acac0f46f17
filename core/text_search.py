"""Substring search the same on PostgreSQL and SQLite: a LIKE pattern with the user's wildcards escaped."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute

MAX_QUERY = 200
ESCAPE = "\\"


def like_pattern(text: str) -> str:
    """`%text%`, where a `%` or `_` the person typed matches itself, not anything."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(text: str, *columns: InstrumentedAttribute) -> ColumnElement[bool]:
    """Any of `columns` contains `text`, ignoring case."""
    pattern = like_pattern(text)
    return or_(*(column.ilike(pattern, escape=ESCAPE) for column in columns))
