"""Job runs can hold a person's data in their arguments (a Meta webhook delivery, a Telegram update): done
runs lose their arguments after a day and are deleted after JOB_RUN_RETENTION_DAYS; erasing a person blanks
the arguments of the done runs that quote them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import JobRun
from core.services.identity.actors import Actor
from core.services.privacy import erasure as privacy
from tests.factories import make_account, make_target
from worker.schedule import PERIODIC_JOBS

SYSTEM = Actor.system("test")
WEBHOOK = "worker.jobs.webhooks.process_meta_webhook"


def meta_delivery(user_id: str, username: str, text: str) -> dict:
    change = {"field": "comments", "value": {"id": f"c-{uuid.uuid4().hex[:6]}", "text": text}}
    change["value"]["from"] = {"id": user_id, "username": username}
    return {"object": "instagram", "entry": [{"id": "ig-1", "changes": [change]}]}


def run(status: str, *, age: timedelta, args: list, workspace_id: int | None = None) -> str:
    created = utcnow() - age
    row = JobRun(
        id=str(uuid.uuid4()),
        workspace_id=workspace_id,
        kind="meta-webhook",
        func=WEBHOOK,
        args=args,
        queue="default",
        status=status,
        created_at=created,
        ended_at=created + timedelta(seconds=1) if status in ("finished", "failed") else None,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def args_of(run_id: str) -> list | None:
    db.session.expire_all()
    row = db.session.get(JobRun, run_id)
    return None if row is None else row.args


def test_done_runs_lose_their_args_after_a_day_and_go_after_the_retention(app_ctx):
    from core import jobs

    payload = [meta_delivery("17841400001", "carol_fan", "my number is 0611111111")]
    old = run("finished", age=timedelta(days=20), args=payload)
    old_failed = run("failed", age=timedelta(days=20), args=payload)
    yesterday = run("finished", age=timedelta(days=2), args=payload)
    failed = run("failed", age=timedelta(days=2), args=payload)  # kept whole: it can still be retried
    fresh = run("finished", age=timedelta(hours=2), args=payload)
    waiting = run("queued", age=timedelta(days=20), args=payload)  # not done: never touched

    purge = jobs.enqueue("worker.jobs.maintenance.purge_job_runs", kind="job-run-retention", queue=jobs.QUEUE_BULK)
    assert purge.status == "finished", purge.error
    assert purge.result == {"deleted": 2, "args_blanked": 1, "retention_days": 14}
    assert args_of(old) is None and args_of(old_failed) is None
    assert args_of(yesterday) == []
    assert args_of(failed) == payload and args_of(fresh) == payload and args_of(waiting) == payload


@pytest.mark.parametrize("app_config", [{"JOB_RUN_RETENTION_DAYS": 3}])
def test_the_retention_is_configurable(app_ctx):
    from worker.jobs.maintenance import purge_job_runs

    kept = run("finished", age=timedelta(days=2), args=[])
    gone = run("finished", age=timedelta(days=4), args=[])
    assert purge_job_runs()["retention_days"] == 3
    assert args_of(kept) == [] and args_of(gone) is None


def test_erasing_a_person_blanks_the_done_runs_that_quote_them(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)["id"]
    other = factory.workspace(factory.user(), name="Other")["id"]
    with app.app_context():
        target = make_target(make_account(workspace), username="alice_private", platform_user_id="17841400077")
        about_her = run("finished", age=timedelta(hours=1), args=[meta_delivery("17841400077", "alice_private", "hi")])
        by_name = run("failed", age=timedelta(hours=1), args=[{"username": "alice_private"}], workspace_id=workspace)
        bystander = [meta_delivery("17841400078", "bob_stays", "hello")]
        about_bob = run("finished", age=timedelta(hours=1), args=bystander)
        longer_id = [meta_delivery("178414000771", "carl", "x")]  # her id is only a prefix of his
        about_carl = run("finished", age=timedelta(hours=1), args=longer_id)
        elsewhere = run("failed", age=timedelta(hours=1), args=[{"username": "alice_private"}], workspace_id=other)
        pending = run("queued", age=timedelta(hours=1), args=[meta_delivery("17841400077", "alice_private", "yo")])

        erasure = privacy.erase_person(target.id, actor=SYSTEM)

        assert erasure.job_runs == 2
        assert args_of(about_her) == [] and args_of(by_name) == []
        assert args_of(about_bob) == bystander and args_of(about_carl) == longer_id
        assert args_of(elsewhere) == [{"username": "alice_private"}]  # another workspace's own run
        assert args_of(pending)  # still to be processed
        assert "alice_private" not in str(db.session.scalars(select(JobRun.args).where(JobRun.id == about_her)).all())


def test_the_purge_is_scheduled_daily():
    [entry] = [j for j in PERIODIC_JOBS if j["func"] == "worker.jobs.maintenance.purge_job_runs"]
    assert entry["id"] == "job-run-retention" and entry["queue"] == "bulk" and entry["cron"].split()[2:] == ["*"] * 3
