"""/interactions: start a collection, and list a workspace's interactions with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from core.services.collection import cycle as collection
from core.services.collection import interactions
from core.services.conversations import moderation
from core.services.reading import labels

bp = Blueprint("interactions", __name__, url_prefix="/interactions")

Kind = Literal["comment", "reply", "mention", "message", "story_reply", "story_mention"]


class InteractionQuery(PageQuery):
    account: int | None = Field(None, ge=1, description="Only this social account's interactions.")
    kind: Kind | None = None
    author: str | None = Field(None, max_length=120, description="Username (with or without @) or platform id.")
    q: str | None = Field(None, max_length=200, description="Text contains (case-insensitive).")
    since: datetime | None = Field(None, description="ISO 8601; without an offset, UTC.")
    until: datetime | None = Field(None, description="ISO 8601; without an offset, UTC.")


class InteractionOut(Out):
    id: int
    workspace_id: int
    social_account_id: int
    target_id: int | None
    platform: str
    kind: str
    platform_id: str
    author_platform_id: str | None
    author_username: str | None
    text: str | None
    media_id: str | None
    media_permalink: str | None
    parent_platform_id: str | None
    occurred_at: datetime
    received_at: datetime
    source: str
    has_intent: bool
    intent_reason: str | None
    is_opt_out: bool
    is_hidden: bool


class CollectOut(Out):
    job_id: str
    account_id: int
    status: str
    result: dict[str, Any] | None
    error: str | None


@operation(
    bp,
    "POST",
    "/collect/<int:account_id>",
    summary="Collect an account now (member): 202 with the job",
    response=CollectOut,
    status=202,
    errors=(403, 404, 409, 503),
)
def collect(account_id: int):
    run = collection.request_collection(account_id, actor=current_actor())
    return {
        "job_id": run.id,
        "account_id": account_id,
        "status": run.status,
        "result": run.result,
        "error": run.error,
    }, 202


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>",
    summary="The workspace's interactions, newest first",
    query=InteractionQuery,
    response=PageOut[InteractionOut],
)
def list_interactions(workspace_id: int, query: InteractionQuery):
    filters = interactions.Filters(
        account_id=query.account,
        kind=query.kind,
        author=query.author,
        q=query.q,
        since=query.since,
        until=query.until,
    )
    page = interactions.page_for(
        workspace_id, actor=current_actor(), filters=filters, cursor=query.cursor, limit=query.limit
    )
    return page


class ReplyIn(In):
    text: str = Field(max_length=2200)


class ReplyOut(Out):
    interaction_id: int
    reply_platform_id: str


@operation(
    bp,
    "POST",
    "/<int:interaction_id>/reply",
    summary="Answer a top-level Instagram comment in public (POST /{comment-id}/replies)",
    body=ReplyIn,
    response=ReplyOut,
    status=201,
    errors=(403, 404, 409, 422, 503),
)
def reply(interaction_id: int, body: ReplyIn):
    reply_id = moderation.reply_in_public(interaction_id, actor=current_actor(), text=body.text)
    return {"interaction_id": interaction_id, "reply_platform_id": reply_id}, 201


@operation(
    bp,
    "POST",
    "/<int:interaction_id>/hide",
    summary="Hide an Instagram comment",
    response=InteractionOut,
    errors=(403, 404, 409, 422, 503),
)
def hide(interaction_id: int):
    return moderation.set_hidden(interaction_id, actor=current_actor(), hidden=True)


@operation(
    bp,
    "POST",
    "/<int:interaction_id>/unhide",
    summary="Show a hidden Instagram comment again",
    response=InteractionOut,
    errors=(403, 404, 409, 422, 503),
)
def unhide(interaction_id: int):
    return moderation.set_hidden(interaction_id, actor=current_actor(), hidden=False)


class LabelIn(In):
    label: Literal["not_buyer", "buyer", "not_opt_out", "opt_out"] = Field(
        description="How the team reads this interaction; opt_out also puts the person on the do-not-contact list."
    )


class LabelOut(Out):
    interaction: InteractionOut
    label: str
    target_score: int | None
    opted_out: bool


@operation(
    bp,
    "POST",
    "/<int:interaction_id>/label",
    summary="Teach the reader (member): not a buyer, a buyer, not an opt-out, asked to stop",
    body=LabelIn,
    response=LabelOut,
    errors=(403, 404, 409, 422),
)
def label(interaction_id: int, body: LabelIn):
    done = labels.label_interaction(interaction_id, body.label, actor=current_actor())
    return {
        "interaction": done.interaction,
        "label": done.label,
        "target_score": done.score,
        "opted_out": done.opted_out,
    }
