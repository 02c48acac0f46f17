"""/leads: list with filters and keyset pages, create, detail with timeline, status, edits, bulk, CSV export."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, stream_with_context
from pydantic import ConfigDict, Field

from console.api.auth_context import current_actor
from console.api.lead_params import LeadExportQuery, LeadListQuery
from console.api.schemas import In, Out, PageOut
from console.api.spec import operation
from core.models import Lead, LeadStatus, Target
from core.pagination import Page
from core.services.leads import changes as leads
from core.services.leads import export as lead_export
from core.services.leads import queries as lead_queries
from core.services.leads import read as lead_read

bp = Blueprint("leads", __name__, url_prefix="/leads")


class OwnerOut(Out):
    id: int
    email: str
    name: str


class LeadTargetOut(Out):
    id: int
    platform: str
    username: str | None
    platform_user_id: str
    social_account_id: int
    account_username: str
    score: int
    is_hot: bool
    last_seen_at: datetime
    interactions_count: int

    @classmethod
    def of(cls, target: Target, account_username: str) -> LeadTargetOut:
        return cls(
            id=target.id,
            platform=target.platform,
            username=target.username,
            platform_user_id=target.platform_user_id,
            social_account_id=target.social_account_id,
            account_username=account_username,
            score=target.score,
            is_hot=target.is_hot,
            last_seen_at=target.last_seen_at,
            interactions_count=target.interactions_count,
        )


class LeadOut(Out):
    id: int
    workspace_id: int
    status: str
    source: str
    allowed_statuses: list[str]
    owner: OwnerOut | None
    tags: list[str]
    notes: str | None
    estimated_value: Decimal | None
    target: LeadTargetOut
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, view: lead_read.LeadView, **extra: Any) -> LeadOut:
        """`extra` fills a subclass's own fields (the detail's score and timeline)."""
        lead, owner = view.lead, view.owner
        return cls(
            id=lead.id,
            workspace_id=lead.workspace_id,
            status=lead.status,
            source=lead.source,
            allowed_statuses=view.allowed_statuses,
            owner=OwnerOut.model_validate(owner) if owner else None,
            tags=view.tags,
            notes=lead.notes,
            estimated_value=lead.estimated_value,
            target=LeadTargetOut.of(view.target, view.account_username),
            created_at=lead.created_at,
            updated_at=lead.updated_at,
            closed_at=lead.closed_at,
            **extra,
        )

    @classmethod
    def of_lead(cls, lead: Lead) -> LeadOut:
        """The shape of a lead a service just returned."""
        return cls.of(lead_read.view_of(lead))


class TimelineEntryOut(Out):
    at: datetime
    type: str
    kind: str
    summary: str
    old_value: str | None
    new_value: str | None
    note: str | None
    actor: str | None
    door: str | None
    details: dict[str, Any]


class ScoreOut(Out):
    score: int
    is_hot: bool
    breakdown: dict[str, Any]
    reasons: list[Any]
    scored_at: datetime | None

    @classmethod
    def of(cls, target: Target) -> ScoreOut:
        return cls(
            score=target.score,
            is_hot=target.is_hot,
            breakdown=target.score_breakdown or {},
            reasons=target.score_reasons or [],
            scored_at=target.scored_at,
        )


class LeadDetailOut(LeadOut):
    score: ScoreOut
    timeline: list[TimelineEntryOut]


class LeadCreateIn(In):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    target_id: int = Field(alias="targetId", ge=1)


class StatusIn(In):
    status: LeadStatus
    note: str | None = Field(None, max_length=2000)


class LeadPatch(In):
    owner: int | None = Field(None, description="A member's user id; null unassigns.")
    tags: list[str] | None = Field(None, max_length=50, description="Replaces the lead's tags.")
    notes: str | None = Field(None, max_length=10_000)
    value: Decimal | None = Field(None, description="Estimated value, 0 to 9,999,999,999.99; null clears.")


class BulkIn(In):
    lead_ids: list[int] = Field(min_length=1, max_length=leads.MAX_BULK)
    status: LeadStatus | None = None
    owner: int | None = Field(None, description="A member's user id; null unassigns (only when given).")


class BulkSkipOut(Out):
    lead_id: int
    reason: str


class BulkOut(Out):
    updated: list[int]
    skipped: list[BulkSkipOut]


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>",
    summary="The workspace's leads (filters, sort, keyset pages)",
    query=LeadListQuery,
    response=PageOut[LeadOut],
)
def list_leads(workspace_id: int, query: LeadListQuery):
    actor = current_actor()
    page = lead_queries.page(
        workspace_id,
        actor=actor,
        filters=query.filters(actor),
        sort=query.lead_sort(),
        cursor=query.cursor,
        limit=query.limit,
    )
    return Page([LeadOut.of(view) for view in lead_read.views_of(page.items)], page.next_cursor)


@operation(
    bp,
    "POST",
    "/workspace/<int:workspace_id>",
    summary="Make a lead of a target (409 if it has one)",
    body=LeadCreateIn,
    response=LeadOut,
    status=201,
    errors=(409,),
)
def create_lead(workspace_id: int, body: LeadCreateIn):
    return LeadOut.of_lead(leads.create(workspace_id, body.target_id, actor=current_actor()))


@operation(
    bp, "GET", "/<int:lead_id>", summary="A lead with its target, score breakdown and timeline", response=LeadDetailOut
)
def get_lead(lead_id: int):
    found = lead_read.detail(lead_id, actor=current_actor())
    return LeadDetailOut.of(found.view, score=ScoreOut.of(found.view.target), timeline=found.timeline)


@operation(
    bp,
    "PUT",
    "/<int:lead_id>/status",
    summary="Move a lead along the pipeline (409 names allowed moves)",
    body=StatusIn,
    response=LeadOut,
    errors=(403, 409),
)
def change_status(lead_id: int, body: StatusIn):
    return LeadOut.of_lead(leads.change_status(lead_id, body.status.value, actor=current_actor(), note=body.note))


@operation(
    bp,
    "PATCH",
    "/<int:lead_id>",
    summary="Change owner, tags, notes or estimated value",
    body=LeadPatch,
    response=LeadOut,
    errors=(403,),
)
def update_lead(lead_id: int, body: LeadPatch):
    given = body.model_fields_set
    changes = {name: getattr(body, name) for name in ("owner", "tags", "notes", "value") if name in given}
    return LeadOut.of_lead(leads.update(lead_id, actor=current_actor(), **changes))


@operation(
    bp,
    "POST",
    "/workspace/<int:workspace_id>/bulk",
    summary="Set status and/or owner of many leads",
    body=BulkIn,
    response=BulkOut,
    errors=(403,),
)
def bulk_update(workspace_id: int, body: BulkIn):
    owner = {"owner": body.owner} if "owner" in body.model_fields_set else {}
    result = leads.bulk_update(
        workspace_id, body.lead_ids, actor=current_actor(), status=body.status.value if body.status else None, **owner
    )
    return {"updated": result.updated, "skipped": result.skipped}


def content_disposition(export: lead_export.Export) -> str:
    """`attachment; filename="ascii.csv"`, plus RFC 6266's `filename*=UTF-8''…` when the name has accents."""
    value = f'attachment; filename="{export.filename}"'
    if export.unicode_filename:
        value += f"; filename*=UTF-8''{quote(export.unicode_filename, safe='')}"
    return value


def csv_response(export: lead_export.Export) -> Response:
    """A streamed CSV download (shared with the console)."""
    response = Response(stream_with_context(export.chunks), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = content_disposition(export)
    response.headers["Cache-Control"] = "no-store"
    # Proxies such as nginx would otherwise buffer the whole file before the browser sees a byte.
    response.headers["X-Accel-Buffering"] = "no"
    return response


@operation(
    bp,
    "GET",
    "/export/csv/<int:workspace_id>",
    summary="Streamed CSV of the leads (same filters)",
    query=LeadExportQuery,
    content_type="text/csv",
)
def export_csv(workspace_id: int, query: LeadExportQuery):
    actor = current_actor()
    return csv_response(
        lead_export.start(
            workspace_id, actor=actor, filters=query.filters(actor), sort=query.lead_sort(), dialect=query.format
        )
    )
