"""Finding leads: one set of filters and sorts shared by the list, the board and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, tuple_

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.models import Lead, LeadStatus, LeadTag, SocialAccount, Target
from core.pagination import decode_cursor, encode_cursor
from core.services.identity.access import require_role
from core.services.identity.actors import Actor
from core.services.leads.pipeline import clean_tag
from core.text_search import contains

SORTS = ("score", "updated", "created")
MAX_LIMIT = 200


@dataclass
class LeadFilters:
    """Plain filter values; None means "any". `owner` is a user id, `unassigned` asks for no owner."""

    statuses: list[LeadStatus] = field(default_factory=list)
    owner: int | None = None
    unassigned: bool = False
    tag: str | None = None
    min_score: int | None = None
    platform: str | None = None
    account_id: int | None = None
    q: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None


@dataclass
class LeadSort:
    by: str = "updated"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.by not in SORTS:
            raise Invalid(_("Unknown sort."), fields={"sort": "One of: " + ", ".join(SORTS) + "."})

    @property
    def key(self) -> Any:
        return {"score": Target.score, "updated": Lead.updated_at, "created": Lead.created_at}[self.by]

    def order_by(self) -> list[Any]:
        return [self.key.desc(), Lead.id.desc()] if self.descending else [self.key.asc(), Lead.id.asc()]


def conditions(workspace_id: int, filters: LeadFilters) -> list[ColumnElement[bool]]:
    """WHERE clauses for a statement that joins Lead to its Target."""
    where: list[ColumnElement[bool]] = [Lead.workspace_id == workspace_id]
    if filters.statuses:
        where.append(Lead.status.in_([s.value for s in filters.statuses]))
    if filters.unassigned:
        where.append(Lead.owner_user_id.is_(None))
    elif filters.owner is not None:
        where.append(Lead.owner_user_id == filters.owner)
    if filters.tag:
        tag = clean_tag(filters.tag, "tag")
        where.append(exists().where(LeadTag.lead_id == Lead.id, LeadTag.tag == tag))
    if filters.min_score is not None:
        where.append(Target.score >= filters.min_score)
    if filters.platform:
        where.append(Target.platform == filters.platform)
    if filters.account_id is not None:
        where.append(Target.social_account_id == filters.account_id)
    if filters.q:
        where.append(contains(filters.q.strip().lstrip("@"), Target.username, Target.display_name, Lead.notes))
    for column, low, high in (
        (Lead.created_at, filters.created_from, filters.created_to),
        (Lead.updated_at, filters.updated_from, filters.updated_to),
    ):
        if low is not None:
            where.append(column >= low)
        if high is not None:
            where.append(column <= high)
    return where


def _check_ranges(filters: LeadFilters) -> None:
    for name, low, high in (
        ("created", filters.created_from, filters.created_to),
        ("updated", filters.updated_from, filters.updated_to),
    ):
        if low is not None and high is not None and low > high:
            raise Invalid(
                _("The date range is empty."), fields={f"{name}_to": _("Must not be before %(name)s_from.", name=name)}
            )


def filtered(workspace_id: int, filters: LeadFilters, *columns: Any) -> Select:
    """SELECT `columns` (default: Lead, Target, account username) of the workspace's matching leads."""
    _check_ranges(filters)
    stmt = select(*(columns or (Lead, Target, SocialAccount.username)))
    stmt = stmt.select_from(Lead).join(Target, Target.id == Lead.target_id)
    if not columns:
        stmt = stmt.join(SocialAccount, SocialAccount.id == Target.social_account_id)
    return stmt.where(and_(*conditions(workspace_id, filters)))


@dataclass
class LeadRow:
    lead: Lead
    target: Target
    account_username: str


@dataclass
class LeadPage:
    items: list[LeadRow]
    next_cursor: str | None


def page(
    workspace_id: int, *, actor: Actor, filters: LeadFilters, sort: LeadSort, cursor: str | None = None, limit: int = 50
) -> LeadPage:
    """A keyset page of matching leads in `sort` order (the cursor carries the sort key and the id)."""
    require_role(workspace_id, actor)
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(
            _("The limit is out of range."), fields={"limit": _("Between 1 and %(max_limit)s.", max_limit=MAX_LIMIT)}
        )
    stmt = filtered(workspace_id, filters)
    if cursor:
        by, direction, value, last_id = decode_cursor(cursor, 4, keys=[str, str, sort.key, Lead.id])
        if by != sort.by or direction != ("desc" if sort.descending else "asc"):
            raise Invalid(
                _("The cursor belongs to another sort."), fields={"cursor": _("Start again without a cursor.")}
            )
        # A row comparison, not `key < v OR (key = v AND id < i)`: PostgreSQL makes it an index condition
        # of ix_leads_workspace_updated/created and starts the scan at the cursor, where the OR form scanned
        # and filtered out every row before it (a page 5,000 rows deep read 5,000 index entries more).
        after, bound = tuple_(sort.key, Lead.id), tuple_(value, last_id)
        stmt = stmt.where(after < bound if sort.descending else after > bound)
    rows = db.session.execute(stmt.order_by(*sort.order_by()).limit(limit + 1)).all()
    items = [LeadRow(lead, target, username) for lead, target, username in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        value = {"score": last.target.score, "updated": last.lead.updated_at, "created": last.lead.created_at}
        next_cursor = encode_cursor([sort.by, "desc" if sort.descending else "asc", value[sort.by], last.lead.id])
    return LeadPage(items=items, next_cursor=next_cursor)


def counts_by_status(workspace_id: int, *, actor: Actor, filters: LeadFilters) -> dict[str, int]:
    """How many matching leads each status holds (for the board's column heads)."""
    require_role(workspace_id, actor)
    stmt = filtered(workspace_id, filters, Lead.status, func.count()).group_by(Lead.status)
    counts = {status.value: 0 for status in LeadStatus}
    counts.update({status: n for status, n in db.session.execute(stmt)})
    return counts
