"""Kicking the outbox dispatcher as soon as a transaction that wrote events has committed.

An `after_flush` listener notes that OutboxEvent rows were written in this session; on commit the
note becomes "pending". The doors call `kick_if_pending` when their unit of work is over (the
console after each request, the worker after each job): with Redis the dispatcher job is queued,
without it the dispatch runs in-process (after the response has been sent, for the console).
Nothing depends on the kick for correctness: the periodic sweep dispatches whatever it missed.

Each consumer of the outbox says which written rows concern it: the integrations dispatcher follows
OutboxEvent; the chat alert dispatcher also follows DmEvent (a DM that failed or ended unknown emits
no event, yet its Slack/Telegram card must show it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import job_names
from core.db import db
from core.models import DmEvent, OutboxEvent
from core.redis_conn import get_redis

log = logging.getLogger(__name__)

DISPATCH_JOB = job_names.DISPATCH_OUTBOX
CHAT_DISPATCH_JOB = job_names.DISPATCH_CHAT_ALERTS
_FLUSHED = "vistaflow_outbox_flushed"
_COMMITTED = "vistaflow_outbox_committed"


@dataclass(frozen=True)
class Consumer:
    job: str
    kind: str
    queue: str
    follows: tuple[type, ...]


CONSUMERS = (
    Consumer(DISPATCH_JOB, "outbox-dispatch", "default", (OutboxEvent,)),
    Consumer(CHAT_DISPATCH_JOB, "chat-dispatch", "interactive", (OutboxEvent, DmEvent)),
)


@event.listens_for(Session, "after_flush")
def _note_events(session: Session, _context) -> None:
    written = {type(obj) for obj in session.new}
    due = {c.job for c in CONSUMERS if written.intersection(c.follows)}
    if due:
        session.info[_FLUSHED] = session.info.get(_FLUSHED, set()) | due


@event.listens_for(Session, "after_commit")
def _events_committed(session: Session) -> None:
    due = session.info.pop(_FLUSHED, None)
    if due:
        session.info[_COMMITTED] = session.info.get(_COMMITTED, set()) | due


@event.listens_for(Session, "after_rollback")
def _events_rolled_back(session: Session) -> None:
    session.info.pop(_FLUSHED, None)


def take_pending() -> list[Consumer]:
    """The consumers (once) whose rows this session committed since the last call."""
    due = db.session().info.pop(_COMMITTED, None) or set()
    return [c for c in CONSUMERS if c.job in due]


def _start(consumer: Consumer) -> None:
    from core import jobs

    jobs.enqueue(consumer.job, kind=consumer.kind, queue=consumer.queue)


def _dispatch_in_process(app: Flask, consumers: list[Consumer]) -> None:
    with app.app_context():
        try:
            for consumer in consumers:
                try:
                    _start(consumer)
                except Exception:  # the sweep catches up; a failed kick must not break anything else
                    log.exception("in-process %s failed", consumer.kind)
                    db.session.rollback()
        finally:
            db.session.remove()


def kick_if_pending(defer: Callable[[Callable[[], None]], None] | None = None) -> bool:
    """Start the consumers whose rows this session committed: queue them (Redis) or run them in-process.

    `defer` registers the in-process run for later (the console passes `response.call_on_close`);
    without it the dispatch runs now. Returns whether a kick happened.
    """
    consumers = take_pending()
    if not consumers:
        return False
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if get_redis() is not None:
        for consumer in consumers:
            try:
                _start(consumer)
            except Exception:
                log.warning("could not queue %s; the periodic sweep will catch up", consumer.kind, exc_info=True)
        return True
    if defer is not None:
        defer(lambda: _dispatch_in_process(app, consumers))
    else:
        _dispatch_in_process(app, consumers)
    return True
