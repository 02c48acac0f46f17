"""Conversation jobs: naming the people a DM came from."""

from __future__ import annotations

from core.services.conversations import people


def lookup_profiles(account_id: int, target_ids: list[int]) -> dict[str, int]:
    """Fetch and store the username and name of each person (User Profile API), merging duplicates."""
    return people.refresh(account_id, target_ids)
