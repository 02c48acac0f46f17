"""Mail jobs: send one recorded message through SMTP (or the log, without SMTP_URL), retrying later."""

from __future__ import annotations

from typing import Any

from core.services.mail import outbox


def send_mail(message_id: int) -> dict[str, Any]:
    """Send one recorded mail message; a refused or unreachable server schedules a retry."""
    return {"message_id": message_id, "status": outbox.deliver(message_id)}
