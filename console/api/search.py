"""/search: one query across a workspace's people, leads and what people wrote."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out
from console.api.spec import operation
from core.services.search import everywhere

bp = Blueprint("search", __name__, url_prefix="/search")


class SearchQuery(In):
    q: str = Field("", max_length=200, description="Part of a username, name, lead note or message.")


class PersonHit(Out):
    id: int
    username: str | None
    display_name: str | None
    platform: str
    score: int
    is_hot: bool


class LeadHit(Out):
    id: int
    target_id: int
    username: str | None
    status: str


class MessageHit(Out):
    id: int
    target_id: int | None
    author_username: str | None
    kind: str
    text: str | None
    occurred_at: datetime


class SearchOut(Out):
    q: str
    people: list[PersonHit]
    leads: list[LeadHit]
    messages: list[MessageHit]


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>",
    summary="Search the workspace: people by username or name, leads, and what people wrote",
    query=SearchQuery,
    response=SearchOut,
)
def search_workspace(workspace_id: int, query: SearchQuery):
    found = everywhere.find(workspace_id, query.q, actor=current_actor())
    return SearchOut(
        q=found.q,
        people=[PersonHit.model_validate(t) for t in found.people],
        leads=[
            LeadHit(id=lead.id, target_id=target.id, username=target.username, status=lead.status)
            for lead, target in found.leads
        ],
        messages=[MessageHit.model_validate(m) for m in found.messages],
    )
