"""Privacy housekeeping jobs."""

from __future__ import annotations

from core.services.privacy import erasure as privacy


def purge_raw_payloads() -> dict[str, int]:
    """Null raw platform payloads older than each workspace's retention; returns how many were purged."""
    return privacy.purge_raw_payloads()
