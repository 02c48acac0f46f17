"""SQL functions PostgreSQL has and SQLite lacks, registered on every new SQLite connection,
so the rescore statement is the same SQL on both databases."""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _power(base: float | None, exponent: float | None) -> float | None:
    if base is None or exponent is None:
        return None
    return math.pow(base, exponent)


def _floor(value: float | None) -> float | None:
    return None if value is None else float(math.floor(value))


def _least(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _greatest(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def register(dbapi_connection: Any, _record: Any = None) -> None:
    """Add power, floor, least and greatest to a sqlite3 connection (no-op for other drivers)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.create_function("power", 2, _power, deterministic=True)
    dbapi_connection.create_function("floor", 1, _floor, deterministic=True)
    dbapi_connection.create_function("least", -1, _least, deterministic=True)
    dbapi_connection.create_function("greatest", -1, _greatest, deterministic=True)


def init_app(app: Any) -> None:
    """Listen for new connections of every engine (idempotent; checks the driver per connection)."""
    if not event.contains(Engine, "connect", register):
        event.listen(Engine, "connect", register)
