"""Platform token upkeep."""

from __future__ import annotations

from core.services.accounts.token_refresh import refresh_due_tokens


def refresh_tokens() -> dict[str, int]:
    """Refresh Instagram/TikTok tokens that are due; flags accounts the platform refused (error 190)."""
    return refresh_due_tokens()
