"""Automation jobs: the public reply under a comment once its automatic private reply went out."""

from __future__ import annotations

from core.services.automations import public_replies


def post_public_reply(trigger_id: int) -> dict[str, str]:
    """Post the public reply an automation chose for a comment, once."""
    return public_replies.post(trigger_id)
