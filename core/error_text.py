"""The text of an unexpected error that may be shown to people (a failed job's error): no data, no secrets."""

from __future__ import annotations

import re

from sqlalchemy.exc import DataError, StatementError

from core.platforms.base import scrub

MAX_LENGTH = 4000
_QUOTED = re.compile(r'"[^"]*"')


def for_people(exc: BaseException) -> str:
    """`Type: message`, with a database error cut to the driver's first line (no SQL, parameters, DETAIL)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        message = lines[0] if lines else type(exc.orig).__name__
        if isinstance(exc, DataError):
            # A data error quotes the offending value ('invalid input syntax for type integer: "..."');
            # other errors quote only names (constraints, relations), which are worth keeping.
            message = _QUOTED.sub('"***"', message)
    else:
        message = str(exc)
    return scrub(f"{type(exc).__name__}: {message}")[:MAX_LENGTH]
