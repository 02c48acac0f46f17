"""/conversations: the inbox through the API: the list, one thread with its window, answering, state."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint, jsonify, request
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.dm import DmOut
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import dump, operation
from core.models import Conversation, Target
from core.services.conversations import messages, threads

bp = Blueprint("conversations", __name__, url_prefix="/conversations")

Filter = Literal["mine", "unassigned", "unread", "open", "waiting", "done"]
UNSET = object()


class ListQuery(PageQuery):
    filter: Filter | None = None
    account: int | None = Field(None, ge=1, description="Only this social account's conversations.")
    q: str | None = Field(None, max_length=200, description="The person's username, or a text they wrote.")


class ConversationOut(Out):
    id: int
    workspace_id: int
    social_account_id: int
    target_id: int
    state: str
    state_reason: str | None
    assignee_user_id: int | None
    last_item_at: datetime
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None


class ListItemOut(ConversationOut):
    username: str | None
    unread: bool


class PersonOut(Out):
    id: int
    username: str | None
    display_name: str | None
    score: int
    score_reasons: list
    opted_out_at: datetime | None


class ItemOut(Out):
    key: str = Field(description="i<interaction id> or d<DM id>: stable, what the console's polling dedupes on.")
    at: datetime
    direction: str
    kind: str
    text: str | None
    interaction_id: int | None
    dm_id: int | None
    status: str | None
    sent_from: str | None
    platform_id: str | None
    hidden: bool


class WindowOut(Out):
    route: str = Field(description="message (24 h), private_reply (a comment, 7 days) or human_agent (7 days).")
    until: datetime
    comment_platform_id: str | None
    tag: str | None


class ThreadOut(ConversationOut):
    person: PersonOut
    unread: bool
    windows: list[WindowOut] = Field(description="Open now, the one a message takes first; empty: none.")
    items: list[ItemOut]


class MessageIn(In):
    text: str = Field(max_length=5000)


class ChangeIn(In):
    state: Literal["open", "waiting", "done"] | None = None
    assignee_id: int | None = Field(None, alias="assigneeId", description="A member of the workspace; null: nobody.")


def _row(conversation: Conversation, user_id: int, people: dict[int, Target]) -> dict:
    return dump(ConversationOut, conversation) | {
        "username": people[conversation.target_id].username,
        "unread": threads.is_unread(conversation, user_id),
    }


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>",
    summary="The inbox, latest activity first (filters: mine, unassigned, unread, open, waiting, done; account; q)",
    query=ListQuery,
    response=PageOut[ListItemOut],
)
def list_conversations(workspace_id: int, query: ListQuery):
    actor = current_actor()
    page = threads.page_for(
        workspace_id,
        actor=actor,
        filter=query.filter,
        account_id=query.account,
        q=query.q,
        cursor=query.cursor,
        limit=query.limit,
    )
    people = threads.people_of(page.items)
    return page.map(lambda conversation: _row(conversation, actor.user_id, people))


@operation(
    bp,
    "GET",
    "/<int:conversation_id>",
    summary="One conversation: its thread, the window open now, its state",
    response=ThreadOut,
)
def get_conversation(conversation_id: int):
    actor = current_actor()
    conversation = threads.get(conversation_id, actor=actor)
    unread = threads.is_unread(conversation, actor.user_id)
    return dump(ConversationOut, conversation) | {
        "person": dump(PersonOut, threads.people_of([conversation])[conversation.target_id]),
        "unread": unread,
        "windows": [dump(WindowOut, w) for w in threads.windows(conversation)],
        "items": [dump(ItemOut, i) for i in threads.items(conversation)],
    }


@operation(
    bp,
    "POST",
    "/<int:conversation_id>/messages",
    summary="Answer: a DM by the window open now (queued; 202), sent once. Idempotency-Key replays the first answer",
    body=MessageIn,
    response=DmOut,
    status=202,
    errors=(403, 404, 409),
)
def send_message(conversation_id: int, body: MessageIn):
    sent = messages.send(
        conversation_id,
        actor=current_actor(),
        text=body.text,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    response = jsonify(dump(DmOut, sent.dm))
    response.status_code = 202
    if sent.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@operation(
    bp,
    "PATCH",
    "/<int:conversation_id>",
    summary="Change the state (open, waiting, done) and/or the assignee",
    body=ChangeIn,
    response=ConversationOut,
    errors=(404,),
)
def change(conversation_id: int, body: ChangeIn):
    assignee = body.assignee_id if "assignee_id" in body.model_fields_set else ...
    return threads.set_state(conversation_id, actor=current_actor(), state=body.state, assignee_id=assignee)


@operation(
    bp,
    "POST",
    "/<int:conversation_id>/read",
    summary="Mark the conversation read for the caller",
    response=ConversationOut,
    errors=(404,),
)
def mark_read(conversation_id: int):
    return threads.mark_read(conversation_id, actor=current_actor())
