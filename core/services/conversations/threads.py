"""Conversations kept current as interactions and messages arrive, and read back as one thread.

Ingest calls `note_interactions` with the rows it really inserted (one upsert per batch); a sent DM
or an echo of a message the team sent from the Instagram app calls `note_outbound`. A person writing
reopens the conversation; the team answering moves it to "waiting"; an opt-out closes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import _
from core.models import (
    Conversation,
    ConversationRead,
    ConversationState,
    DirectMessage,
    DmStatus,
    Interaction,
    Lead,
    Membership,
    SocialAccount,
    Target,
    Workspace,
)
from core.pagination import Page, paginate
from core.services.identity.access import get_scoped, require_role
from core.services.identity.actors import Actor
from core.services.outreach import eligibility
from core.services.workspaces.settings import read as read_settings

# What the person does that the team owes an answer to; mentions and comments count too.
INBOUND_KINDS = frozenset({"comment", "reply", "mention", "message", "story_reply", "story_mention"})
# DM states that are (or may be) in the person's inbox.
SHOWN_DM_STATES = (DmStatus.SENT.value, DmStatus.SENDING.value, DmStatus.UNKNOWN.value, DmStatus.APPROVED.value)
OPEN, WAITING, DONE = (s.value for s in ConversationState)
ECHO_DOOR = "instagram_app"  # approved_via of a message the team sent from the Instagram app


def _insert(table: sa.Table) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _later(column: sa.ColumnElement, value: sa.ColumnElement) -> sa.ColumnElement:
    return sa.case((column.is_(None), value), (value > column, value), else_=column)


def note_interactions(workspace_id: int, account_id: int, inserted: Iterable[Any]) -> None:
    """Open (or reopen) the conversation of every person in a just-inserted batch (no commit)."""
    latest: dict[int, datetime] = {}
    for row in inserted:
        if row.target_id is None or row.kind not in INBOUND_KINDS:
            continue
        latest[row.target_id] = max(latest.get(row.target_id, row.occurred_at), row.occurred_at)
    if not latest:
        return
    now = utcnow()
    rows = [
        {
            "workspace_id": workspace_id,
            "social_account_id": account_id,
            "target_id": target_id,
            "state": OPEN,
            "last_item_at": at,
            "last_inbound_at": at,
            "created_at": now,
            "updated_at": now,
        }
        for target_id, at in sorted(latest.items())
    ]
    t = Conversation.__table__
    stmt = _insert(t)
    ex = stmt.excluded
    # Only a message newer than the team's last answer reopens a conversation; a replayed old page does not.
    reopens = sa.or_(t.c.last_outbound_at.is_(None), ex.last_inbound_at > t.c.last_outbound_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=["target_id"],
        set_={
            "last_item_at": _later(t.c.last_item_at, ex.last_item_at),
            "last_inbound_at": _later(t.c.last_inbound_at, ex.last_inbound_at),
            "state": sa.case((sa.and_(reopens, t.c.state_reason.is_(None)), OPEN), else_=t.c.state),
            "updated_at": ex.updated_at,
        },
    )
    db.session.execute(stmt, rows)


def note_outbound(dm: DirectMessage) -> None:
    """The team wrote to the person (from VistaFlow or the Instagram app): now waiting on them (no commit)."""
    at = dm.sent_at or utcnow()
    conversation = ensure(dm.workspace_id, dm.social_account_id, dm.target_id, at=at)
    conversation.last_outbound_at = max(conversation.last_outbound_at or at, at)
    conversation.last_item_at = max(conversation.last_item_at, at)
    if conversation.state == OPEN:
        conversation.state = WAITING


def ensure(workspace_id: int, account_id: int, target_id: int, *, at: datetime) -> Conversation:
    """The person's conversation, created if it does not exist yet (no commit; safe under concurrency)."""
    stmt = _insert(Conversation.__table__).on_conflict_do_nothing(index_elements=["target_id"])
    now = utcnow()
    db.session.execute(
        stmt,
        {
            "workspace_id": workspace_id,
            "social_account_id": account_id,
            "target_id": target_id,
            "state": WAITING,
            "last_item_at": at,
            "created_at": now,
            "updated_at": now,
        },
    )
    select = sa.select(Conversation).where(Conversation.target_id == target_id).with_for_update()
    return db.session.scalar(select.execution_options(populate_existing=True))


@dataclass
class Item:
    """One line of a thread: something the person did, or a message the team sent."""

    at: datetime
    direction: str  # "in" from the person, "out" from the team
    kind: str
    text: str | None
    interaction_id: int | None = None
    dm_id: int | None = None
    status: str | None = None
    sent_from: str | None = None  # vistaflow, or instagram_app for an echo
    platform_id: str | None = None
    hidden: bool = False

    @property
    def key(self) -> str:
        """Stable across reads: what a page that polls the thread dedupes on."""
        return f"i{self.interaction_id}" if self.interaction_id else f"d{self.dm_id}"


def items(conversation: Conversation, *, limit: int = 200) -> list[Item]:
    """The conversation's items in time order (the latest `limit` of each side)."""
    interactions = db.session.scalars(
        sa.select(Interaction)
        .where(Interaction.target_id == conversation.target_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    dms = db.session.scalars(
        sa.select(DirectMessage)
        .where(DirectMessage.target_id == conversation.target_id, DirectMessage.status.in_(SHOWN_DM_STATES))
        .order_by(DirectMessage.id.desc())
        .limit(limit)
    )
    thread = [
        Item(
            at=i.occurred_at,
            direction="in",
            kind=i.kind,
            text=i.text,
            interaction_id=i.id,
            platform_id=i.platform_id,
            hidden=i.is_hidden,
        )
        for i in interactions
    ]
    thread += [
        Item(
            at=dm.sent_at or dm.approved_at or dm.created_at,
            direction="out",
            kind=dm.kind,
            text=dm.text,
            dm_id=dm.id,
            status=dm.status,
            sent_from="instagram_app" if dm.approved_via == ECHO_DOOR else "vistaflow",
        )
        for dm in dms
    ]
    thread.sort(key=lambda item: (item.at, item.direction == "out"))
    return thread


def get(conversation_id: int, *, actor: Actor, workspace_id: int | None = None) -> Conversation:
    """One conversation the actor may see (NotFound otherwise)."""
    return get_scoped(Conversation, conversation_id, actor, what="Conversation", workspace_id=workspace_id)


@dataclass(frozen=True)
class ThreadView:
    """One open thread as the inbox shows it: the person, their lead, the items and the open windows."""

    conversation: Conversation
    person: Target
    lead: Lead | None
    items: list[Item]
    windows: list[eligibility.Window]


def open_thread(conversation_id: int, *, actor: Actor, workspace_id: int) -> ThreadView:
    """A conversation of the workspace, marked read by the actor (commits), with what the inbox shows of it."""
    conversation = mark_read(get(conversation_id, actor=actor, workspace_id=workspace_id).id, actor=actor)
    person = db.session.get(Target, conversation.target_id)
    lead = db.session.scalar(sa.select(Lead).where(Lead.target_id == person.id))
    return ThreadView(conversation, person, lead, items(conversation), windows(conversation))


def people_of(conversations: Iterable[Conversation]) -> dict[int, Target]:
    """The person of each conversation, by target id (one query for a page)."""
    ids = {c.target_id for c in conversations}
    return {t.id: t for t in db.session.scalars(sa.select(Target).where(Target.id.in_(ids)))} if ids else {}


def windows(conversation: Conversation, *, now: datetime | None = None) -> list[eligibility.Window]:
    """The windows open now for a person answering in this conversation (empty when none)."""
    account = db.session.get(SocialAccount, conversation.social_account_id)
    target = db.session.get(Target, conversation.target_id)
    allowed = human_agent_allowed(conversation.workspace_id)
    try:
        first = eligibility.conversation_window(
            account, target, human_agent_allowed=allowed, written_by_person=True, now=now
        )
    except eligibility.Ineligible:
        return []
    others = eligibility.open_windows(account, target, human_agent_allowed=allowed, now=now)
    return [first, *[w for w in others if w != first]]


def human_agent_allowed(workspace_id: int) -> bool:
    """Whether Meta granted this workspace's app the human-agent permission (a workspace setting)."""
    workspace = db.session.get(Workspace, workspace_id)
    return bool(workspace and read_settings(workspace.settings).meta_human_agent)


FILTERS = ("mine", "unassigned", "unread", "open", "waiting", "done")


def page_for(
    workspace_id: int,
    *,
    actor: Actor,
    filter: str | None = None,
    account_id: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page:
    """The workspace's conversations, latest activity first, filtered (mine, unassigned, unread, open,
    waiting, done), by account, or by the person's username or a text they wrote."""
    require_role(workspace_id, actor)
    stmt = sa.select(Conversation).where(Conversation.workspace_id == workspace_id)
    if filter is not None and filter not in FILTERS:
        raise Invalid(_("Unknown filter."), fields={"filter": _("One of: %(choices)s", choices=", ".join(FILTERS))})
    if filter == "mine":
        stmt = stmt.where(Conversation.assignee_user_id == actor.user_id)
    elif filter == "unassigned":
        stmt = stmt.where(Conversation.assignee_user_id.is_(None), Conversation.state != DONE)
    elif filter == "unread":
        read = sa.select(ConversationRead.read_at).where(
            ConversationRead.conversation_id == Conversation.id, ConversationRead.user_id == actor.user_id
        )
        stmt = stmt.where(
            Conversation.last_inbound_at.is_not(None),
            sa.or_(~read.exists(), read.scalar_subquery() < Conversation.last_inbound_at),
        )
    elif filter in (OPEN, WAITING, DONE):
        stmt = stmt.where(Conversation.state == filter)
    if account_id:
        stmt = stmt.where(Conversation.social_account_id == account_id)
    if q and q.strip():
        needle = "%" + q.strip().lstrip("@").lower().replace("%", r"\%").replace("_", r"\_") + "%"
        by_name = sa.select(Target.id).where(
            Target.id == Conversation.target_id, sa.func.lower(Target.username).like(needle, escape="\\")
        )
        by_text = sa.select(Interaction.id).where(
            Interaction.target_id == Conversation.target_id, sa.func.lower(Interaction.text).like(needle, escape="\\")
        )
        stmt = stmt.where(sa.or_(by_name.exists(), by_text.exists()))
    return paginate(stmt, [Conversation.last_item_at, Conversation.id], cursor=cursor, limit=limit, descending=True)


def mark_read(conversation_id: int, *, actor: Actor) -> Conversation:
    """Record that the actor has read the conversation up to now (commits)."""
    conversation = get(conversation_id, actor=actor)
    if actor.user_id is not None:
        stmt = _insert(ConversationRead.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["conversation_id", "user_id"], set_={"read_at": stmt.excluded.read_at}
        )
        db.session.execute(stmt, {"conversation_id": conversation.id, "user_id": actor.user_id, "read_at": utcnow()})
    db.session.commit()
    return conversation


def is_unread(conversation: Conversation, user_id: int) -> bool:
    """Unread for a member while the person spoke after the member last read it."""
    if conversation.last_inbound_at is None:
        return False
    read = db.session.get(ConversationRead, (conversation.id, user_id))
    return read is None or read.read_at < conversation.last_inbound_at


def set_state(conversation_id: int, *, actor: Actor, state: str | None = None, assignee_id: Any = ...) -> Conversation:
    """Change a conversation's state and/or assignee (a member of its workspace, or None); commits once."""
    conversation = get(conversation_id, actor=actor)
    fields: dict[str, str] = {}
    if state is not None and state not in (OPEN, WAITING, DONE):
        fields["state"] = _("Must be one of open, waiting, done.")
    if assignee_id is not ... and assignee_id is not None:
        member = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.workspace_id == conversation.workspace_id, Membership.user_id == assignee_id
            )
        )
        if not isinstance(assignee_id, int) or member is None:
            fields["assigneeId"] = _("Not a member of this workspace.")
    if fields:
        raise Invalid(_("The conversation cannot be changed that way."), fields=fields)
    if state is not None:
        if conversation.state_reason == "opted_out" and state != DONE:
            raise eligibility.OptedOut(_("This person asked not to be contacted; the conversation stays done."))
        conversation.state = state
    if assignee_id is not ...:
        conversation.assignee_user_id = assignee_id
    db.session.commit()
    return conversation
