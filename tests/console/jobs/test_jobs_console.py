"""The jobs page: recent jobs with status, counts and errors; admins retry failed ones as new jobs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import jobs
from core.db import db
from core.models import JobRun
from tests.conftest import Console

ATTEMPTS: dict[str, int] = {}


def flaky(name: str) -> dict:
    """A job that fails on its first run and succeeds afterwards."""
    ATTEMPTS[name] = ATTEMPTS.get(name, 0) + 1
    if ATTEMPTS[name] == 1:
        raise RuntimeError(f"the platform timed out for {name}")
    return {"new_interactions": 12, "api_calls": 3, "errors": []}


FLAKY = "tests.console.jobs.test_jobs_console.flaky"


@pytest.fixture
def team(app, factory, console, client):
    ATTEMPTS.clear()
    owner = factory.user()
    workspace = factory.workspace(owner, time_zone="Asia/Tokyo")
    member = factory.member(owner, workspace["id"])
    stranger = factory.user()
    other = factory.workspace(stranger, name="Other")
    with app.test_request_context():
        failed = jobs.enqueue(FLAKY, "acme", kind="collect-account", workspace_id=workspace["id"]).id
        done = jobs.enqueue(FLAKY, "warmup", kind="rescore", workspace_id=workspace["id"])  # fails: first run
        jobs.execute(done.id, raise_errors=False)
        foreign = jobs.enqueue(FLAKY, "other", kind="collect-account", workspace_id=other["id"]).id
    console.login(owner.email)
    return {"ws": workspace["id"], "member": member, "failed": failed, "foreign": foreign, "other": other["id"]}


def test_jobs_page_lists_status_counts_and_errors(team, console):
    html = console.get(f"/w/{team['ws']}/jobs").get_data(as_text=True)
    assert "Collection" in html and "Scoring" in html
    assert "RuntimeError: the platform timed out for acme" in html
    assert "new interactions <strong>12</strong>" in html
    assert html.count('badge badge-danger">failed') == 1 and 'badge badge-ok">finished' in html
    assert "Asia/Tokyo" in html
    assert 'class="active">Jobs</a>' in html or 'aria-current="page">Jobs</a>' in html
    assert "timed out for other" not in html  # the other workspace's failed job

    failed_only = console.get(f"/w/{team['ws']}/jobs?status=failed").get_data(as_text=True)
    assert "Collection" in failed_only and "Scoring" not in failed_only
    empty = console.get(f"/w/{team['ws']}/jobs?status=running").get_data(as_text=True)
    assert "No running job" in empty


def test_admin_retries_a_failed_job(app, team, console):
    page = f"/w/{team['ws']}/jobs"
    response = console.post_form(page, {}, action=f"{page}/{team['failed']}/retry")
    assert response.status_code == 303
    html = console.get(page).get_data(as_text=True)
    assert "Collection retried: the new job finished." in html
    assert f"retry of {team['failed'][:8]}" in html
    with app.app_context():
        retry = db.session.scalar(select(JobRun).where(JobRun.retry_of == team["failed"]))
        assert retry.status == "finished" and retry.result["new_interactions"] == 12

    again = console.post_form(page, {}, action=f"{page}/{retry.id}/retry", follow_redirects=True)
    assert "Only a failed job can be retried." in again.get_data(as_text=True)


def test_members_see_jobs_but_cannot_retry(app, team):
    console = Console(app.test_client())
    console.login(team["member"].email)
    page = f"/w/{team['ws']}/jobs"
    html = console.get(page).get_data(as_text=True)
    assert "RuntimeError" in html and ">Retry</button>" not in html
    response = console.post_form(page, {}, action=f"{page}/{team['failed']}/retry", follow_redirects=True)
    assert "admin" in response.get_data(as_text=True)
    assert ATTEMPTS["acme"] == 1


def test_jobs_of_another_workspace_are_404(team, console):
    page = f"/w/{team['ws']}/jobs"
    assert console.post_form(page, {}, action=f"{page}/{team['foreign']}/retry").status_code == 404
    assert console.post_form(page, {}, action=f"/w/{team['other']}/jobs/{team['foreign']}/retry").status_code == 404
    assert console.get(f"/w/{team['other']}/jobs").status_code == 404
    assert ATTEMPTS["other"] == 1
