"""Keyset pagination: `?limit=&cursor=` answering `{"items": [...], "next_cursor": ...}`.

The cursor is an opaque, URL-safe encoding of the last row's sort key, so page N costs the
same as page 1 (no OFFSET scan).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from core.db import db
from core.errors import Invalid

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.fromisoformat(value["dt"])
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        return [_decode_value(v) for v in values]
    except (ValueError, TypeError, json.JSONDecodeError):
        raise Invalid(
            "The cursor is not valid.", fields={"cursor": "Use the next_cursor of a previous page."}
        ) from None


def paginate(
    stmt: Select,
    keys: list[InstrumentedAttribute],
    *,
    cursor: str | None,
    limit: int | None,
    descending: bool = False,
    scalars: bool = True,
) -> Page:
    """Run `stmt` ordered by `keys` (the last must be unique, e.g. the id) from `cursor`."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("The limit is out of range.", fields={"limit": f"Between 1 and {MAX_LIMIT}."})
    key_tuple = tuple_(*keys)
    if cursor:
        values = decode_cursor(cursor, len(keys))
        stmt = stmt.where(key_tuple < tuple_(*values) if descending else key_tuple > tuple_(*values))
    stmt = stmt.order_by(*[(k.desc() if descending else k.asc()) for k in keys]).limit(limit + 1)
    rows = list(db.session.scalars(stmt) if scalars else db.session.execute(stmt))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1] if scalars else rows[-1][0]
        next_cursor = encode_cursor([getattr(last, k.key) for k in keys])
    return Page(items=rows, next_cursor=next_cursor)
