"""`python -m bot.telegram`: long polling for development (no public URL needed); production uses the webhook.

Polling calls deleteWebhook (getUpdates refuses to work while a webhook is set), so it refuses to start
where the webhook is configured (TELEGRAM_WEBHOOK_SECRET set): it would silently take a production bot
off its webhook.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from flask import Flask

from bot.telegram.webhook import receive
from core.db import db
from core.platforms import telegram as client

log = logging.getLogger("bot.telegram")

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
# A poll that keeps failing on the same update gives up on it rather than blocking every later one.
UPDATE_ATTEMPTS = 5


class Poller:
    """One getUpdates loop: a fresh app context per batch, and transient failures wait and retry."""

    def __init__(self, app: Flask, sleep=time.sleep) -> None:
        self.app = app
        self.sleep = sleep
        self.offset = 0
        self.failures = 0
        self.attempts: dict[int, int] = {}

    def _backoff(self, what: str, exc: BaseException) -> None:
        self.failures += 1
        delay = min(BACKOFF_START * 2 ** (self.failures - 1), BACKOFF_MAX)
        log.warning("%s failed (%s: %s); retrying in %.0f s", what, type(exc).__name__, exc, delay)
        self.sleep(delay)

    def _take(self, update: dict[str, Any]) -> None:
        update_id = int(update["update_id"])
        try:
            receive(update)
        except Exception:
            self.attempts[update_id] = self.attempts.get(update_id, 0) + 1
            if self.attempts[update_id] < UPDATE_ATTEMPTS:
                raise  # not acknowledged: the next getUpdates from this offset brings it back
            log.exception("telegram update %s dropped after %s attempts", update_id, UPDATE_ATTEMPTS)
        self.attempts.pop(update_id, None)
        self.offset = update_id + 1

    def poll_once(self) -> int:
        """Fetch one batch of updates and queue each; returns how many were taken."""
        taken, failure = 0, None
        with self.app.app_context():
            try:
                updates = client.run(
                    lambda bot, start=self.offset: bot.get_updates(offset=start, timeout=25, read_timeout=35)
                )
                for update in updates:
                    self._take(update.to_dict())
                    taken += 1
            except Exception as exc:  # Telegram, the database or Redis away for a while: wait, then retry
                failure = exc
            finally:
                db.session.remove()
        if failure is not None:
            self._backoff("telegram polling", failure)
        else:
            self.failures = 0
        return taken


def start(app: Flask) -> Poller | None:
    """Drop the webhook and return a poller, or None (logged) where polling must not run."""
    with app.app_context():
        if app.config.get("TELEGRAM_WEBHOOK_SECRET"):
            log.error(
                "TELEGRAM_WEBHOOK_SECRET is set, so this install receives Telegram through its webhook; "
                "polling would delete that webhook. Unset it to poll (development only)."
            )
            return None
        client.run(lambda bot: bot.delete_webhook())
    return Poller(app)


def main() -> int:
    from vistaflow import create_app

    poller = start(create_app())
    if poller is None:
        return 2
    log.info("polling Telegram for updates")
    while True:
        poller.poll_once()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
