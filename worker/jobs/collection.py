"""Collection jobs: one account now, and the 15-minute fan-out over every active account."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from core import jobs
from core.errors import VistaFlowError
from core.services.collection import cycle as collection

log = logging.getLogger(__name__)

# Accounts are spread over the first 10 minutes of each 15-minute cycle, not all at once.
SPREAD_SECONDS = 600


def collect_account(account_id: int) -> dict[str, Any]:
    """Collect one account's new comments, replies and mentions, then rescore who they flagged; returns counts."""
    return collection.collect_and_rescore(account_id)


def jitter(account_id: int) -> int:
    """A stable offset per account, so each account keeps its slot and the load stays even."""
    return (account_id * 7919) % SPREAD_SECONDS


def enqueue_due_collections() -> dict[str, int]:
    """Start a collection for every active account of every active workspace, spread with jitter."""
    due = collection.due_accounts()
    started = failed = 0
    for workspace_id, account_id in due:
        job = dict(kind=collection.JOB_KIND, queue=jobs.QUEUE_BULK, workspace_id=workspace_id)
        delay = timedelta(seconds=jitter(account_id))
        try:
            if jobs.runs_in_process():
                # Single process: the clock's background lane runs them one after the other, so there is no
                # burst to spread; one failure is recorded on its own job.
                jobs.enqueue(collection.JOB_FUNC, account_id, **job)
            else:
                # RQ's scheduler moves it to the bulk queue when due.
                jobs.enqueue_in(collection.JOB_FUNC, account_id, delay=delay, **job)
            started += 1
        except VistaFlowError as exc:
            failed += 1
            log.warning("could not start the collection of account %s: %s", account_id, exc)
    return {"accounts": len(due), "started": started, "failed": failed}
