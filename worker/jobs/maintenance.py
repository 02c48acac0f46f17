"""Housekeeping jobs."""

from __future__ import annotations

from flask import current_app

from core.services import audit
from core.services.jobs import retention as job_retention


def purge_audit_log() -> dict[str, int]:
    """Delete audit entries past the retention period; returns how many were removed."""
    days = int(current_app.config["AUDIT_RETENTION_DAYS"])
    return {"deleted": audit.purge_older_than(days), "retention_days": days}


def purge_job_runs() -> dict[str, int]:
    """Blank done job runs' arguments after a day and delete them after JOB_RUN_RETENTION_DAYS."""
    return job_retention.purge(int(current_app.config["JOB_RUN_RETENTION_DAYS"]))
