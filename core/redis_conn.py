"""The app's Redis connection, when one is configured (REDIS_URL)."""

from __future__ import annotations

from flask import current_app
from redis import Redis


def get_redis() -> Redis | None:
    """One client per app; None means the single-process install (no Redis)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("vistaflow_redis")
    if client is None:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
        current_app.extensions["vistaflow_redis"] = client
    return client
