"""`python -m bot.telegram`: long polling for development (no public URL needed); production uses the webhook."""

from __future__ import annotations

import logging
import time

from bot.telegram import client
from bot.telegram.client import TelegramFailure
from bot.telegram.webhook import receive
from core.db import db

log = logging.getLogger("bot.telegram")


def poll_forever() -> None:
    from vistaflow import create_app

    app = create_app()
    with app.app_context():
        # getUpdates refuses to work while a webhook is set.
        client.run(lambda bot: bot.delete_webhook())
        offset = 0
        log.info("polling Telegram for updates")
        while True:
            try:
                updates = client.run(
                    lambda bot, start=offset: bot.get_updates(offset=start, timeout=25, read_timeout=35)
                )
            except TelegramFailure as failure:
                log.warning("getUpdates failed (%s); retrying in 5 s", failure.code)
                time.sleep(5)
                continue
            for update in updates:
                receive(update.to_dict())
                offset = update.update_id + 1
            db.session.remove()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    poll_forever()
