"""DM outreach jobs: each calls one core service."""

from __future__ import annotations

from core.services.outreach import queueing, quota, sending, sequences


def send_dm(dm_id: int) -> dict:
    """Send one approved DM at most once (interactive queue)."""
    return sending.send(dm_id)


def advance_enrollment(enrollment_id: int) -> dict:
    """Move one sequence enrolment forward (its first step right after enrolling)."""
    return sequences.advance(enrollment_id)


def advance_sequences() -> dict:
    """Periodic: advance every due sequence enrolment of the active workspaces."""
    return sequences.advance_due()


def reset_quotas() -> dict:
    """Hourly: delete DM quota counters whose day is over in their workspace's time zone."""
    return quota.purge_past_days()


def recover_stuck_sends() -> dict:
    """Periodic: DMs left `sending` by a dead worker become `unknown` for a person to check (never resent)."""
    return sending.recover_stuck()


def requeue_stranded_sends() -> dict:
    """Periodic: queue the send of approved DMs whose send job was never queued (the queue was down)."""
    return queueing.requeue_stranded()
