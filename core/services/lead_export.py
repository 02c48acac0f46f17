"""The leads CSV export: streamed from a server-side cursor in constant memory, safe to open in a spreadsheet.

Columns (stable order, documented in the README): see COLUMNS. Dates are ISO 8601 in UTC
(`2024-05-01T09:30:00Z`); tags are joined with ", "; a text cell starting with =, +, -, @, tab
or carriage return gets a leading ' so spreadsheets never run it as a formula. On PostgreSQL the
formatting happens in SQL, so Python only moves already-formatted text into the csv writer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, case, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from core.db import db, utcnow
from core.models import Lead, LeadTag, SocialAccount, Target, User
from core.services import audit
from core.services.access import require_role
from core.services.actors import Actor
from core.services.lead_queries import LeadFilters, LeadSort, filtered

COLUMNS = (
    "lead_id",
    "status",
    "source",
    "platform",
    "account",
    "username",
    "platform_user_id",
    "score",
    "hot",
    "owner_email",
    "tags",
    "estimated_value",
    "notes",
    "interactions",
    "last_seen_at",
    "created_at",
    "updated_at",
    "closed_at",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH_ROWS = 2000
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def neutralise(value: Any) -> Any:
    """Prefix a text cell a spreadsheet would read as a formula with '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _safe_sql(expr: Any) -> Any:
    # The same rule as neutralise(), evaluated by the database for every text column.
    return case((func.substr(expr, 1, 1).in_(FORMULA_STARTS), literal("'").concat(expr)), else_=expr)


def _tags_sql(postgres: bool) -> Any:
    if not postgres:
        tags = select(func.group_concat(LeadTag.tag, ", ")).where(LeadTag.lead_id == Lead.id)
        return _safe_sql(tags.correlate(Lead).scalar_subquery())
    tag_list = func.string_agg(LeadTag.tag, aggregate_order_by(literal_column("', '"), LeadTag.tag))
    tags = select(tag_list).where(LeadTag.lead_id == Lead.id).correlate(Lead).scalar_subquery()
    # One regexp instead of a CASE, so the per-lead subquery runs once rather than three times.
    return func.regexp_replace(tags, "^([=+@\t\r-])", "'\\1")


def _date_sql(column: Any, postgres: bool) -> Any:
    if postgres:
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    return column  # formatted in Python (SQLite has no time zone arithmetic to lean on)


def export_statement(workspace_id: int, filters: LeadFilters, sort: LeadSort, *, postgres: bool) -> Select:
    """The SELECT behind the CSV, one output column per COLUMNS entry (also used by the benchmark's COPY)."""
    columns = [
        Lead.id,
        Lead.status,
        Lead.source,
        Target.platform,
        _safe_sql(SocialAccount.username),
        _safe_sql(Target.username),
        _safe_sql(Target.platform_user_id),
        Target.score,
        case((Target.is_hot, "true"), else_="false"),
        _safe_sql(User.email),
        _tags_sql(postgres),
        cast(Lead.estimated_value, String),
        _safe_sql(Lead.notes),
        Target.interactions_count,
        _date_sql(Target.last_seen_at, postgres),
        _date_sql(Lead.created_at, postgres),
        _date_sql(Lead.updated_at, postgres),
        _date_sql(Lead.closed_at, postgres),
    ]
    labelled = [column.label(name) for column, name in zip(columns, COLUMNS, strict=True)]
    stmt = filtered(workspace_id, filters, *labelled)
    stmt = stmt.join(SocialAccount, SocialAccount.id == Target.social_account_id)
    stmt = stmt.outerjoin(User, User.id == Lead.owner_user_id)
    return stmt.order_by(*sort.order_by())


@dataclass
class Export:
    filename: str
    chunks: Iterator[bytes]


def _python_row(row: Any) -> list[Any]:
    return [value.strftime(ISO_FORMAT) if isinstance(value, datetime) else value for value in row]


def _stream(stmt: Select, postgres: bool) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    # The header goes out before the query runs, so the browser's download starts at once.
    yield buffer.getvalue().encode("utf-8")
    # A Core execution on the session's connection: same server-side cursor, without the ORM's per-row cost.
    connection = db.session.connection()
    result = connection.execute(stmt.execution_options(stream_results=True, yield_per=BATCH_ROWS))
    try:
        for batch in result.partitions():
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(batch if postgres else map(_python_row, batch))
            yield buffer.getvalue().encode("utf-8")
    finally:
        result.close()
        db.session.rollback()  # ends the read transaction that held the server-side cursor


def start(workspace_id: int, *, actor: Actor, filters: LeadFilters, sort: LeadSort) -> Export:
    """Check access, audit the export (committed), and return the file name and its lazily streamed bytes."""
    workspace = require_role(workspace_id, actor)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    stmt = export_statement(workspace_id, filters, sort, postgres=postgres)
    audit.record(
        actor,
        "leads.exported",
        workspace_id=workspace_id,
        subject_type="workspace",
        subject_id=workspace_id,
        details={"filters": _describe(filters), "sort": sort.by, "descending": sort.descending},
    )
    db.session.commit()
    filename = f"vistaflow-leads-{workspace.slug}-{utcnow().strftime('%Y-%m-%d')}.csv"
    return Export(filename=filename, chunks=_stream(stmt, postgres))


def _describe(filters: LeadFilters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in vars(filters).items():
        if value in (None, False, []):
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, list):
            value = [str(v) for v in value]
        out[key] = value
    return out
