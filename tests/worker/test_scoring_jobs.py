"""Scoring jobs: the collection job rescores the people it collected (incremental, through the
Instagram emulator), and the hourly job rescores every active workspace but suspended ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import OutboxEvent, Target, Workspace
from tests.factories import make_account, make_interaction, make_target
from worker.jobs import collection as collection_jobs
from worker.jobs import scoring as scoring_jobs
from worker.schedule import PERIODIC_JOBS


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


def test_collection_job_rescores_the_collected_people(app_ctx, factory, instagram_emulator):
    workspace_id = factory.workspace(factory.user())["id"]
    ig_user_id = instagram_emulator.add_account(username="acme_shop")
    token = instagram_emulator.issue_token(ig_user_id)
    account = make_account(workspace_id, platform_user_id=ig_user_id, access_token=token, username="acme_shop")
    post = instagram_emulator.add_media(ig_user_id, caption="Drop", timestamp=datetime.now(UTC) - timedelta(days=1))
    instagram_emulator.add_comment(
        post, "combien ?", "alice", "u-alice", timestamp=datetime.now(UTC) - timedelta(hours=2)
    )
    instagram_emulator.add_comment(post, "love it", "bob", "u-bob", timestamp=datetime.now(UTC) - timedelta(hours=1))

    counts = collection_jobs.collect_account(account.id)

    assert counts["rescore"]["scored"] == 2
    db.session.expire_all()
    by_name = {t.username: t for t in db.session.scalars(select(Target).where(Target.workspace_id == workspace_id))}
    assert by_name["alice"].score == 40 and by_name["alice"].score_reasons == ["asked for the price: “combien ?”"]
    assert by_name["bob"].score == 5 and by_name["bob"].score_reasons == ["1 comment in 48 h"]
    assert not any(t.needs_rescore for t in by_name.values())


def test_hourly_job_is_declared_and_skips_suspended_workspaces(app_ctx, factory):
    assert any(job["func"] == "worker.jobs.scoring.rescore_all_workspaces" for job in PERIODIC_JOBS)
    now = utcnow()
    active_id = factory.workspace(factory.user(), name="Active")["id"]
    suspended_id = factory.workspace(factory.user(), name="Suspended")["id"]
    targets = {}
    for ws_id in (active_id, suspended_id):
        target = make_target(make_account(ws_id))
        make_interaction(target, kind="message", text="hi", occurred_at=now)
        targets[ws_id] = target.id
    db.session.get(Workspace, suspended_id).suspended_at = now
    db.session.commit()

    totals = scoring_jobs.rescore_all_workspaces()

    assert totals["workspaces"] == 1 and totals["scored"] == 1
    assert db.session.get(Target, targets[active_id]).score == 20
    assert db.session.get(Target, targets[suspended_id]).score == 0
    assert scoring_jobs.rescore_workspace(suspended_id, True) == {"skipped": 1}
    assert db.session.scalar(select(OutboxEvent.id).where(OutboxEvent.type == "target.hot")) is None
