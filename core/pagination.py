"""Keyset pagination: `?limit=&cursor=` answering `{"items": [...], "next_cursor": ...}`.

The cursor is an opaque, URL-safe encoding of the last row's sort key, so page N costs the
same as page 1 (no OFFSET scan).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from core.db import db
from core.errors import Invalid
from core.i18n import _

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
BIGINT = 2**63
INVALID_CURSOR = {"cursor": "Use the next_cursor of a previous page."}


@dataclass
class Page(Generic[T]):
    """One keyset page; every door answers it as is (the API's PageOut reads `items` and `next_cursor`)."""

    items: list[T]
    next_cursor: str | None

    def map(self, item: Callable[[T], Any]) -> Page:
        """The same page with each row turned into what the door shows of it."""
        return Page([item(row) for row in self.items], self.next_cursor)


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


def _expected(key: Any) -> tuple[type, bool]:
    """The python type a cursor value must have for `key` (a column or a type), and whether None fits."""
    if isinstance(key, type):
        return key, False
    column_type = key.type
    # A TypeDecorator (UTCDateTime) names no python type of its own: its implementation does.
    column_type = getattr(column_type, "impl_instance", column_type)
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        python_type = object
    return python_type, bool(getattr(key.expression, "nullable", False))


def _fits(value: Any, key: Any) -> bool:
    # A forged value must fail here, not in the database (a 500): right type, and storable.
    expected, nullable = _expected(key)
    if value is None:
        return nullable
    if expected is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    if isinstance(value, bool) or expected is bool:
        return isinstance(value, bool) and expected is bool
    if expected is int:
        return isinstance(value, int) and -BIGINT <= value < BIGINT
    if expected is float:
        return isinstance(value, int | float) and math.isfinite(value)
    if expected is str:
        return isinstance(value, str) and "\x00" not in value
    return expected is object or isinstance(value, expected)


def decode_cursor(cursor: str, size: int, *, keys: Sequence[Any] | None = None) -> list[Any]:
    """The values of `cursor`; with `keys` (columns or types), each value must fit its key (else Invalid)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        values = [_decode_value(v) for v in values]
    except (ValueError, TypeError, json.JSONDecodeError):
        raise Invalid(_("The cursor is not valid."), fields=INVALID_CURSOR) from None
    if keys is not None and not all(_fits(v, k) for v, k in zip(values, keys, strict=True)):
        raise Invalid(_("The cursor is not valid."), fields=INVALID_CURSOR)
    return values


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
        raise Invalid(
            _("The limit is out of range."), fields={"limit": _("Between 1 and %(max_limit)s.", max_limit=MAX_LIMIT)}
        )
    key_tuple = tuple_(*keys)
    if cursor:
        values = decode_cursor(cursor, len(keys), keys=keys)
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
