"""Suspended workspaces get no work: periodic jobs skip them, new jobs are refused, queued ones are skipped."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import Factory


def _suspend(workspace_id: int) -> None:
    from core.models import Door
    from core.services.identity.actors import Actor
    from core.services.operators import admin as platform_admin

    platform_admin.suspend_workspace(workspace_id, actor=Actor(user_id=None, door=Door.CLI, label="cli"))


def test_active_workspace_ids_skip_suspended_workspaces(app, factory):
    from core.services.workspaces.status import active_workspace_ids, is_active

    owner = factory.user()
    acme, globex = factory.workspace(owner, "Acme")["id"], factory.workspace(owner, "Globex")["id"]
    with app.app_context():
        assert active_workspace_ids() == [acme, globex]
        _suspend(acme)
        assert active_workspace_ids() == [globex]
        assert is_active(acme) is False and is_active(globex) is True and is_active(999999) is False


def test_no_job_is_started_for_a_suspended_workspace(app, factory):
    from core import jobs
    from core.db import db
    from core.errors import Forbidden
    from core.models import JobRun

    owner = factory.user()
    workspace_id = factory.workspace(owner, "Acme")["id"]
    with app.app_context():
        _suspend(workspace_id)
        with pytest.raises(Forbidden, match="suspended"):
            jobs.enqueue("core.validation.clean_name", "x", kind="probe", workspace_id=workspace_id)
        assert db.session.scalar(select(func.count(JobRun.id)).where(JobRun.workspace_id == workspace_id)) == 0


def test_a_job_queued_before_the_suspension_is_skipped_when_it_runs(redis_app):
    from core import jobs
    from core.db import db
    from core.models import JobRun, JobStatus

    client = redis_app.test_client()
    factory = Factory(client)
    workspace_id = factory.workspace(factory.user(), "Acme")["id"]
    with redis_app.app_context():
        # This job would fail if it ran (unknown zone): a skip shows up as finished-and-skipped.
        run = jobs.enqueue("core.validation.clean_time_zone", "Mars/Olympus", kind="probe", workspace_id=workspace_id)
        assert run.status == JobStatus.QUEUED.value
        _suspend(workspace_id)
        assert jobs.execute(run.id) == {"skipped": "workspace suspended"}
        stored = db.session.get(JobRun, run.id)
        assert stored.status == JobStatus.FINISHED.value and stored.started_at is None and stored.error is None
