"""A real SMTP server on loopback for the mail tests, and the clock's part: running the due mail jobs."""

from __future__ import annotations

from datetime import datetime

import pytest

from core import jobs
from core.db import utcnow
from core.services.jobs import clock
from tests.conftest import Factory
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


class MailedFactory(Factory):
    """Users whose sign-up mail (the verification link, followed) is delivered and out of the inbox."""

    def __init__(self, client, smtp_server: SmtpServer) -> None:
        super().__init__(client)
        self.smtp_server = smtp_server

    def user(self, *args, **kwargs):
        api = super().user(*args, **kwargs)
        run_due_mail(self.client.application)
        self.smtp_server.messages.clear()
        return api


@pytest.fixture
def factory(client, smtp_server) -> MailedFactory:
    return MailedFactory(client, smtp_server)
