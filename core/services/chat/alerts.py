"""Chat alerts from the outbox: each event becomes one ChatMessage per enabled destination.

A parallel consumer of the outbox (integrations keep their own `dispatched_at`): a cursor row, locked
while reading, says how far the outbox was read. Events are re-read for SETTLE after they occur (an
event committed late, behind a higher id, is still seen); each is handled once thanks to a mark in
chat_processed, and each destination gets one row thanks to a unique key, so several dispatchers, a
dead worker or a re-read never post twice.

DM state changes are followed the same way, from DmEvent (its own cursor): a DM that failed or ended
`unknown` emits no outbox event, yet the cards of that person must stop saying "sending…". The card
is always rendered from the current state, so these only say which cards to refresh.
Suspended workspaces get no alerts and no card refreshes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.models import (
    ChatCursor,
    ChatMessage,
    ChatMessageStatus,
    ChatProcessed,
    ChatProvider,
    DirectMessage,
    DmEvent,
    OutboxEvent,
    SlackInstallation,
    TelegramChat,
)

CURSOR = "alerts"
DM_CURSOR = "dm_events"
SETTLE = timedelta(minutes=2)
BATCH = 500
# Events that post a new message, and the per-destination switch that governs each.
ALERTS = {"target.hot": "hot", "dm.replied": "dm_replied", "account.needs_reconnect": "needs_reconnect"}
# Events that change what an existing hot target card shows.
REFRESHES = ("dm.sent", "lead.created", "lead.status_changed")


@dataclass(frozen=True)
class Destination:
    provider: str
    chat_id: str


@dataclass
class Dispatched:
    new_messages: list[int] = field(default_factory=list)
    refresh_targets: set[int] = field(default_factory=set)
    events: int = 0


def destinations(workspace_id: int, alert: str) -> list[Destination]:
    """Where an alert of this kind goes for the workspace: active, with that switch on."""
    found: list[Destination] = []
    slack = db.session.scalar(select(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id))
    if slack is not None and slack.is_active and slack.alerts_channel_id and (slack.alerts or {}).get(alert, True):
        found.append(Destination(ChatProvider.SLACK.value, slack.alerts_channel_id))
    chats = db.session.scalars(
        select(TelegramChat).where(TelegramChat.workspace_id == workspace_id, TelegramChat.disabled_at.is_(None))
    )
    for chat in chats:
        if (chat.alerts or {}).get(alert, True):
            found.append(Destination(ChatProvider.TELEGRAM.value, str(chat.chat_id)))
    return found


def _insert(model: type) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def record(
    workspace_id: int,
    destination: Destination,
    kind: str,
    event_key: str,
    *,
    target_id: int | None = None,
    dm_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int | None:
    """Add the message for one destination (no commit); None when that event already has one there."""
    now = utcnow()
    result = db.session.execute(
        _insert(ChatMessage)
        .values(
            workspace_id=workspace_id,
            provider=destination.provider,
            chat_id=destination.chat_id,
            kind=kind,
            event_key=event_key,
            target_id=target_id,
            dm_id=dm_id,
            data=data or {},
            status=ChatMessageStatus.PENDING.value,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(ChatMessage.id)
    ).first()
    return result[0] if result else None


def _first_time(key: str, source: str = "outbox") -> bool:
    inserted = db.session.execute(
        _insert(ChatProcessed)
        .values(source=source, key=key, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(ChatProcessed.id)
    ).first()
    return inserted is not None


def _handle(event: OutboxEvent, out: Dispatched, active: Callable[[int | None], bool]) -> None:
    data = event.data or {}
    if not active(event.workspace_id):
        return
    if event.type in REFRESHES and data.get("target_id"):
        out.refresh_targets.add(int(data["target_id"]))
        return
    alert = ALERTS.get(event.type)
    if alert is None or event.workspace_id is None:
        return
    for destination in destinations(event.workspace_id, alert):
        message_id = record(
            event.workspace_id,
            destination,
            alert,
            event.event_id,
            target_id=data.get("target_id"),
            dm_id=data.get("dm_id"),
            data=data,
        )
        if message_id is not None:
            out.new_messages.append(message_id)


def _cursor(name: str, start: int = 0) -> ChatCursor:
    db.session.execute(
        _insert(ChatCursor).values(name=name, position=start, updated_at=utcnow()).on_conflict_do_nothing()
    )
    # The row lock makes concurrent dispatchers take turns instead of racing over the same rows.
    return db.session.scalar(
        select(ChatCursor).where(ChatCursor.name == name).with_for_update().execution_options(populate_existing=True)
    )


def _read(cursor: ChatCursor, rows: Iterable[Any], source: str, key: Callable[[Any], str], handle) -> int:
    """Handle each row once (a mark per key); move the cursor over the settled prefix only. Returns how many."""
    settled_before = utcnow() - SETTLE
    position, settled, handled = cursor.position, True, 0
    for row in rows:
        if _first_time(key(row), source):
            handle(row)
            handled += 1
        # Newer rows are re-read (and skipped) later, so one committed late behind a higher id is still seen.
        when: datetime = row.occurred_at if isinstance(row, OutboxEvent) else row.created_at
        settled = settled and when < settled_before
        if settled:
            position = row.id
    cursor.position = position
    cursor.updated_at = utcnow()
    return handled


def _with_cards(target_ids: set[int]) -> set[int]:
    """The people among `target_ids` who have a posted hot target card (the only ones to refresh)."""
    if not target_ids:
        return set()
    return set(
        db.session.scalars(
            select(ChatMessage.target_id)
            .where(
                ChatMessage.target_id.in_(target_ids),
                ChatMessage.kind == "hot",
                ChatMessage.status == ChatMessageStatus.POSTED.value,
            )
            .distinct()
        )
    )


def dispatch(batch: int = BATCH) -> Dispatched:
    """Turn new outbox events into chat messages, and events and DM changes into card refreshes; commits.

    The caller starts the jobs.
    """
    from core.services.workspaces import status as workspace_status

    out = Dispatched()
    known: dict[int, bool] = {}

    def active(workspace_id: int | None) -> bool:
        if workspace_id is None:
            return True
        if workspace_id not in known:
            known[workspace_id] = workspace_status.is_active(workspace_id)
        return known[workspace_id]

    cursor = _cursor(CURSOR)
    events = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.id > cursor.position, OutboxEvent.type.in_(list(ALERTS) + list(REFRESHES)))
        .order_by(OutboxEvent.id)
        .limit(batch)
    ).all()
    out.events = _read(cursor, events, "outbox", lambda e: e.event_id, lambda e: _handle(e, out, active))

    # Started at the newest change: the history of DMs before chat existed has no card to refresh.
    dm_cursor = _cursor(DM_CURSOR, start=db.session.scalar(select(func.max(DmEvent.id))) or 0)
    changes = db.session.execute(
        select(DmEvent.id, DmEvent.created_at, DirectMessage.target_id, DirectMessage.workspace_id)
        .join(DirectMessage, DirectMessage.id == DmEvent.dm_id)
        .where(DmEvent.id > dm_cursor.position)
        .order_by(DmEvent.id)
        .limit(batch)
    ).all()

    def follow(change: Any) -> None:
        if active(change.workspace_id):
            out.refresh_targets.add(change.target_id)

    _read(dm_cursor, changes, "dm_event", lambda c: str(c.id), follow)
    out.refresh_targets = _with_cards(out.refresh_targets)
    db.session.commit()
    return out
