"""The chat door's work taken out of the request (Slack wants an answer within 3 seconds).

The worker runs these by name (core/job_names.py), as it runs every job: the parsing and the reply
are the bot's, so they stay in the bot, and the worker never imports a door.
"""

from __future__ import annotations

from typing import Any


def slack_action(payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack button or select on a card (approve, template, skip, lead status)."""
    from bot.slack.handlers import handle_action

    return handle_action(payload)


def slack_command(payload: dict[str, Any]) -> dict[str, Any]:
    """A /vistaflow slash command."""
    from bot.slack.handlers import handle_command

    return handle_command(payload)


def telegram_update(update: dict[str, Any]) -> dict[str, Any]:
    """One Telegram update (command, /start link, button tap, bot removed)."""
    from bot.telegram.handlers import handle_update

    return handle_update(update)
