"""Integration jobs: outbox dispatch, one delivery attempt, and the every-minute sweep."""

from __future__ import annotations

from typing import Any

from core.integrations import delivery


def dispatch_outbox() -> dict[str, int]:
    """Turn pending outbox events into deliveries and queue them."""
    return delivery.dispatch_pending()


def deliver(delivery_id: int) -> dict[str, Any]:
    """Attempt one delivery (retry scheduled or failure recorded on error)."""
    return delivery.attempt(delivery_id)


def sweep_deliveries() -> dict[str, int]:
    """Dispatch missed events, free stale attempts, and queue due retries."""
    return delivery.sweep()
