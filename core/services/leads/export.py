"""The leads CSV export: streamed from a server-side cursor in constant memory, safe to open in a spreadsheet.

Columns (stable order, English names whatever the reader's language, documented in the README): see
COLUMNS. Two dialects: `standard` (comma-separated UTF-8) and `excel_fr` (what a French Excel opens
as is: a UTF-8 byte order mark, `;` between cells and a decimal comma in amounts). Dates are ISO 8601 in UTC
(`2024-05-01T09:30:00Z`); tags are joined with ", "; a text cell starting with =, +, -, @, tab
or carriage return gets a leading ' so spreadsheets never run it as a formula. On PostgreSQL the
formatting happens in SQL, so Python only moves already-formatted text into the csv writer.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, case, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import _
from core.models import Lead, LeadTag, SocialAccount, Target, User
from core.services import audit
from core.services.identity.access import require_role
from core.services.identity.actors import Actor
from core.services.leads.queries import LeadFilters, LeadSort, filtered

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
DIALECTS = ("standard", "excel_fr")
BOM = "\ufeff"
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


def export_statement(
    workspace_id: int, filters: LeadFilters, sort: LeadSort, *, postgres: bool, decimal_comma: bool = False
) -> Select:
    """The SELECT behind the CSV, one output column per COLUMNS entry (also used by the benchmark's COPY)."""
    amount = cast(Lead.estimated_value, String)
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
        func.replace(amount, ".", ",") if decimal_comma else amount,
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
    filename: str  # ASCII, for clients that read only `filename`
    chunks: Iterator[bytes]
    unicode_filename: str | None = None  # the same name with its accents (RFC 6266 `filename*`), when it differs


def _unicode_slug(name: str) -> str:
    # Like the workspace slug, but keeping letters such as é and ç: "Maison Lumière" -> "maison-lumière".
    text = unicodedata.normalize("NFC", name).lower()
    return re.sub(r"[^\w]+", "-", text).strip("-_") or "workspace"


def _python_row(row: Any) -> list[Any]:
    return [value.strftime(ISO_FORMAT) if isinstance(value, datetime) else value for value in row]


def _stream(stmt: Select, postgres: bool, dialect: str = "standard") -> Iterator[bytes]:
    buffer = io.StringIO()
    excel_fr = dialect == "excel_fr"
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=";" if excel_fr else ",")
    if excel_fr:
        buffer.write(BOM)  # without it, Excel reads UTF-8 as Windows-1252 and garbles accents
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


def start(
    workspace_id: int, *, actor: Actor, filters: LeadFilters, sort: LeadSort, dialect: str = "standard"
) -> Export:
    """Check access, audit the export (committed), and return the file name and its lazily streamed bytes."""
    if dialect not in DIALECTS:
        raise Invalid(_("Unknown CSV format."), fields={"format": _("One of: standard, excel_fr.")})
    workspace = require_role(workspace_id, actor)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    stmt = export_statement(workspace_id, filters, sort, postgres=postgres, decimal_comma=dialect == "excel_fr")
    audit.record(
        actor,
        "leads.exported",
        workspace_id=workspace_id,
        subject_type="workspace",
        subject_id=workspace_id,
        details={"filters": _describe(filters), "sort": sort.by, "descending": sort.descending, "format": dialect},
    )
    db.session.commit()
    day = utcnow().strftime("%Y-%m-%d")
    filename = f"vistaflow-leads-{workspace.slug}-{day}.csv"
    unicode_filename = f"vistaflow-leads-{_unicode_slug(workspace.name)}-{day}.csv"
    return Export(
        filename=filename,
        chunks=_stream(stmt, postgres, dialect),
        unicode_filename=unicode_filename if unicode_filename != filename else None,
    )


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
