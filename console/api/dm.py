"""/dm: sending a DM now, drafting one, the approval lifecycle (approve, skip, cancel, edit) and the history."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, jsonify, request
from pydantic import ConfigDict, Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import dump, operation
from core.models import DirectMessage
from core.services.outreach import composer, dms, lifecycle

bp = Blueprint("dm", __name__, url_prefix="/dm")


class SendIn(In):
    target_id: int = Field(alias="targetId")
    template_id: int | None = Field(None, alias="templateId")
    text: str | None = Field(None, max_length=5000)
    comment_id: str | None = Field(
        None, alias="commentId", max_length=128, description="The platform id of the comment to privately reply to."
    )


class DraftIn(In):
    target_id: int = Field(alias="targetId")
    template_id: int | None = Field(
        None,
        alias="templateId",
        description="A template of the workspace: its text filled for the route, unless `text` is given "
        "(then it only records where the text came from). Neither: the workspace's default template.",
    )
    text: str | None = Field(None, max_length=5000, description="The message as it will be sent (≤ 1,000 characters).")
    route: str | None = Field(
        None,
        max_length=140,
        description="`message` (within 24 h of the person's last message) or `comment:<commentId>` (a private "
        "reply within 7 days of that comment). Omitted: the message window when open, else the newest open comment.",
    )


class TextIn(In):
    text: str = Field(max_length=5000)


class ApproveIn(In):
    text: str | None = Field(None, max_length=5000, description="Edited text to approve instead of the draft's.")


class ReasonIn(In):
    reason: str | None = Field(None, max_length=300)


class HistoryQuery(PageQuery):
    status: str | None = Field(None, max_length=16)
    account: int | None = Field(None, description="A social account id.")
    target: int | None = Field(None, description="A target id.")
    person: str | None = Field(None, max_length=200, description="Part of the person's username or name.")


class DmOut(Out):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    workspace_id: int
    social_account_id: int
    target_id: int
    template_id: int | None
    kind: str
    comment_id: str | None = Field(validation_alias="comment_platform_id")
    text: str
    status: str
    status_reason: str | None
    quota_day: date | None
    sequence_enrollment_id: int | None
    sequence_step: int | None
    approved_via: str | None
    approved_at: datetime | None
    send_started_at: datetime | None
    sent_at: datetime | None
    delivery_confirmed_at: datetime | None
    replied_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DmEventOut(Out):
    from_status: str | None
    to_status: str
    actor_label: str
    door: str
    reason: str | None
    created_at: datetime


class DmDetailOut(DmOut):
    events: list[DmEventOut]


def _detail(dm: DirectMessage) -> dict:
    return dump(DmOut, dm) | {"events": [dump(DmEventOut, e) for e in lifecycle.events_of(dm.id)]}


@operation(
    bp,
    "POST",
    "/send",
    summary="Send a DM now (queued; 202). Idempotency-Key replays the first answer",
    body=SendIn,
    response=DmOut,
    status=202,
    errors=(403, 404, 409),
)
def send(body: SendIn):
    sent = dms.send(
        body.target_id,
        actor=current_actor(),
        template_id=body.template_id,
        text=body.text,
        comment_id=body.comment_id,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    response = jsonify(dump(DmOut, sent.dm))
    response.status_code = 202
    if sent.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@operation(
    bp,
    "POST",
    "/drafts",
    summary="Draft a DM to a person by a route open now; it waits in the approval queue (201)",
    body=DraftIn,
    response=DmOut,
    status=201,
    errors=(403, 404, 409),
)
def create_draft(body: DraftIn):
    dm = composer.save_draft(
        body.target_id, actor=current_actor(), template_id=body.template_id, text=body.text, route=body.route
    )
    return dm, 201


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>",
    summary="DM history, newest first (filters: status, account, target, person)",
    query=HistoryQuery,
    response=PageOut[DmOut],
)
def history(workspace_id: int, query: HistoryQuery):
    page = dms.page_for(
        workspace_id,
        actor=current_actor(),
        status=query.status,
        account_id=query.account,
        target_id=query.target,
        person=query.person,
        cursor=query.cursor,
        limit=query.limit,
    )
    return page


@operation(bp, "GET", "/<int:dm_id>", summary="One DM with its state changes", response=DmDetailOut)
def get_dm(dm_id: int):
    return _detail(dms.get(dm_id, actor=current_actor()))


@operation(
    bp,
    "POST",
    "/<int:dm_id>/approve",
    summary="Approve a draft (optionally with edited text) and queue it",
    body=ApproveIn,
    response=DmOut,
    status=202,
    errors=(403, 409),
)
def approve(dm_id: int, body: ApproveIn):
    return dms.approve(dm_id, actor=current_actor(), text=body.text), 202


@operation(bp, "POST", "/<int:dm_id>/skip", summary="Skip a draft", body=ReasonIn, response=DmOut, errors=(403, 409))
def skip(dm_id: int, body: ReasonIn):
    return dms.skip(dm_id, actor=current_actor(), reason=body.reason)


@operation(
    bp,
    "POST",
    "/<int:dm_id>/cancel",
    summary="Cancel a draft or an approved DM not yet sending",
    body=ReasonIn,
    response=DmOut,
    errors=(403, 409),
)
def cancel(dm_id: int, body: ReasonIn):
    return dms.cancel(dm_id, actor=current_actor(), reason=body.reason)


@operation(
    bp, "PATCH", "/<int:dm_id>", summary="Edit the text of a draft", body=TextIn, response=DmOut, errors=(403, 409)
)
def edit(dm_id: int, body: TextIn):
    return dms.edit(dm_id, actor=current_actor(), text=body.text)
