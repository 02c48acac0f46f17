"""URL converters for ids: a number no row can have is a 404 at routing, it never reaches SQL.

PostgreSQL refuses to compare an INTEGER column with a value beyond its range ("integer out of range"),
which would otherwise surface as a 500 for `/targets/99999999999`.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1


class IdConverter(IntegerConverter):
    """`<int:x>`: an id of a table keyed by INTEGER."""

    limit = INT4_MAX

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if number > self.limit:
            # Raised rather than a ValidationError: werkzeug would otherwise try the other methods and answer 405.
            raise NotFound()
        return number


class BigIdConverter(IdConverter):
    """`<bigint:x>`: an id of a table keyed by BIGINT (interactions, deliveries, outbox events)."""

    limit = INT8_MAX


def init_app(app) -> None:
    """Register before any blueprint: rules pick their converters when they are added."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["bigint"] = BigIdConverter
