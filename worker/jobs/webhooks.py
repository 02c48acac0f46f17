"""Webhook deliveries too large to store while the sender waits."""

from __future__ import annotations

from typing import Any

from core.services.collection import meta_webhooks as webhooks_meta


def process_meta_delivery(payload: dict[str, Any]) -> dict[str, Any]:
    """Store the interactions of a verified Meta delivery and confirm echoed DMs; returns the counts."""
    return webhooks_meta.process(payload).as_dict()
