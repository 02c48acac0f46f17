"""Kicking the outbox dispatcher as soon as a transaction that wrote events has committed.

An `after_flush` listener notes that OutboxEvent rows were written in this session; on commit the
note becomes "pending". The doors call `kick_if_pending` when their unit of work is over (the
console after each request, the worker after each job): with Redis the dispatcher job is queued,
without it the dispatch runs in-process (after the response has been sent, for the console).
Nothing depends on the kick for correctness: the periodic sweep dispatches whatever it missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db import db
from core.models import OutboxEvent
from core.redis_conn import get_redis

log = logging.getLogger(__name__)

DISPATCH_JOB = "worker.jobs.integrations.dispatch_outbox"
_FLUSHED = "vistaflow_outbox_flushed"
_COMMITTED = "vistaflow_outbox_committed"


@event.listens_for(Session, "after_flush")
def _note_events(session: Session, _context) -> None:
    if any(isinstance(obj, OutboxEvent) for obj in session.new):
        session.info[_FLUSHED] = True


@event.listens_for(Session, "after_commit")
def _events_committed(session: Session) -> None:
    if session.info.pop(_FLUSHED, False):
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_rollback")
def _events_rolled_back(session: Session) -> None:
    session.info.pop(_FLUSHED, None)


def take_pending() -> bool:
    """True (once) when this session committed outbox events since the last call."""
    return bool(db.session().info.pop(_COMMITTED, False))


def _dispatch_in_process(app: Flask) -> None:
    from core import jobs

    with app.app_context():
        try:
            jobs.enqueue(DISPATCH_JOB, kind="outbox-dispatch", queue=jobs.QUEUE_DEFAULT)
        except Exception:  # the sweep catches up; a failed kick must not break anything else
            log.exception("in-process outbox dispatch failed")
        finally:
            db.session.remove()


def kick_if_pending(defer: Callable[[Callable[[], None]], None] | None = None) -> bool:
    """Start the dispatcher if this session committed events: queue it (Redis) or run it in-process.

    `defer` registers the in-process run for later (the console passes `response.call_on_close`);
    without it the dispatch runs now. Returns whether a kick happened.
    """
    if not take_pending():
        return False
    from core import jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if get_redis() is not None:
        try:
            jobs.enqueue(DISPATCH_JOB, kind="outbox-dispatch", queue=jobs.QUEUE_DEFAULT)
        except Exception:
            log.warning("could not queue the outbox dispatcher; the periodic sweep will catch up", exc_info=True)
        return True
    if defer is not None:
        defer(lambda: _dispatch_in_process(app))
    else:
        _dispatch_in_process(app)
    return True
