"""Chat alerts from the outbox: each event becomes one ChatMessage per enabled destination.

A parallel consumer of the outbox (integrations keep their own `dispatched_at`): a cursor row, locked
while reading, says how far the outbox was read. Events are re-read for SETTLE after they occur (an
event committed late, behind a higher id, is still seen); each is handled once thanks to a mark in
chat_processed, and each destination gets one row thanks to a unique key, so several dispatchers, a
dead worker or a re-read never post twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.models import (
    ChatCursor,
    ChatMessage,
    ChatMessageStatus,
    ChatProcessed,
    ChatProvider,
    OutboxEvent,
    SlackInstallation,
    TelegramChat,
)

CURSOR = "alerts"
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


def _first_time(event_id: str) -> bool:
    inserted = db.session.execute(
        _insert(ChatProcessed)
        .values(source="outbox", key=event_id, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(ChatProcessed.id)
    ).first()
    return inserted is not None


def _handle(event: OutboxEvent, out: Dispatched) -> None:
    data = event.data or {}
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


def dispatch(batch: int = BATCH) -> Dispatched:
    """Turn new outbox events into chat messages and card refreshes; commits. The caller starts the jobs."""
    out = Dispatched()
    db.session.execute(
        _insert(ChatCursor).values(name=CURSOR, position=0, updated_at=utcnow()).on_conflict_do_nothing()
    )
    # The row lock makes concurrent dispatchers take turns instead of racing over the same events.
    cursor = db.session.scalar(
        select(ChatCursor).where(ChatCursor.name == CURSOR).with_for_update().execution_options(populate_existing=True)
    )
    types = list(ALERTS) + list(REFRESHES)
    events = list(
        db.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.id > cursor.position, OutboxEvent.type.in_(types))
            .order_by(OutboxEvent.id)
            .limit(batch)
        )
    )
    settled_before = utcnow() - SETTLE
    position, settled = cursor.position, True
    for event in events:
        if _first_time(event.event_id):
            _handle(event, out)
            out.events += 1
        # The cursor moves only over the settled prefix; newer events are re-read (and skipped) later.
        settled = settled and event.occurred_at < settled_before
        if settled:
            position = event.id
    cursor.position = position
    cursor.updated_at = utcnow()
    db.session.commit()
    return out
