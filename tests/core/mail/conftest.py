"""A real SMTP server on loopback for the mail tests, and the clock's part: running the due mail jobs."""

from __future__ import annotations

from datetime import datetime

import pytest

from core import jobs
from core.db import utcnow
from core.services.jobs import clock
from tests.emulators.smtp import SmtpServer


@pytest.fixture
def smtp_server():
    with SmtpServer(username="mailer", password="s3cret-relay") as server:
        yield server


@pytest.fixture
def app_config(smtp_server):
    return {"SMTP_URL": smtp_server.url, "MAIL_FROM": "VistaFlow <no-reply@vistaflow.example>"}


def run_due_mail(app, now: datetime | None = None) -> int:
    """What the single-process clock does: run every mail job due by `now`; returns how many ran."""
    ran = 0
    with app.app_context():
        while (run_id := clock.claim_due_run([jobs.QUEUE_INTERACTIVE], now=now or utcnow())) is not None:
            jobs.execute(run_id, raise_errors=False)
            ran += 1
    return ran
