"""Mail jobs: send one recorded message (SMTP, or the log without SMTP_URL), and record digests and alerts."""

from __future__ import annotations

from typing import Any

from core.services.mail import digest_mail, hot_alerts, outbox


def send_mail(message_id: int) -> dict[str, Any]:
    """Send one recorded mail message; a refused or unreachable server schedules a retry."""
    return {"message_id": message_id, "status": outbox.deliver(message_id)}


def mail_digests() -> dict[str, int]:
    """Record and send the daily digest of each person whose chosen local hour it is now."""
    made = digest_mail.record_due()
    for message_id in made:
        outbox.start(message_id)
    return {"digests": len(made)}


def mail_hot_alerts() -> dict[str, int]:
    """Record and send the batched hot-target alert of each person with new hot targets."""
    made = hot_alerts.record_due()
    for message_id in made:
        outbox.start(message_id)
    return {"alerts": len(made)}
