"""Real RQ workers over real Redis and PostgreSQL sending DMs to the Instagram emulator."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import QuotaExceeded
from core.models import DirectMessage, Door, QuotaUsage, User
from core.services.identity.actors import Actor
from core.services.outreach import dms, sending
from tests.conftest import Factory, wait_for
from tests.dm_setup import commenter, commenters, dm_status, instagram_shop
from tests.emulators.instagram import InstagramEmulator


class HangingInstagram(InstagramEmulator):
    """Accepts a send (the message is delivered), then hangs before answering while `hang` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.hang = False
        self.release = threading.Event()

    def handle(self, request):
        reply = super().handle(request)
        if self.hang and request.method == "POST" and request.path.endswith("/messages"):
            self.release.wait(60)
        return reply


@pytest.fixture
def instagram_emulator():
    with HangingInstagram() as emulator:
        yield emulator
        emulator.release.set()


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def owner_actor(redis_app):
    factory = Factory(redis_app.test_client())
    owner = factory.user()
    workspace = factory.workspace(owner)
    with redis_app.app_context():
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.CONSOLE)
    return workspace["id"], actor


def _stop(workers) -> None:
    """Stop all at once (the fixture would stop them one after the other)."""
    for worker in workers:
        worker.proc.terminate()
    for worker in workers:
        worker.proc.wait(20)


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            found += [int(p) for p in fh.read().split()]
    return found


def test_200_approvals_8_workers_quota_50_exactly_50_sent(redis_app, owner_actor, instagram_emulator, start_worker):
    workspace_id, actor = owner_actor
    env = {k: str(v) for k, v in instagram_emulator.config().items()}
    workers = [start_worker(["interactive"], **env) for _ in range(8)]  # they boot while the data is made
    started = time.monotonic()
    with redis_app.app_context():
        shop = instagram_shop(instagram_emulator, workspace_id, quota=50)
        draft_ids = [
            dms.create_draft(target_id, actor=actor, text=f"Hi #{n}").id
            for n, target_id in enumerate(commenters(instagram_emulator, shop, 200))
        ]
        refused = 0
        for dm_id in draft_ids:  # approvals race the workers' sends
            try:
                dms.approve(dm_id, actor=actor)
            except QuotaExceeded as exc:  # once 50 went out, approving says so at once
                assert exc.message == "quota reached: 50/50 today"
                refused += 1

    def settled():
        with redis_app.app_context():
            db.session.expire_all()
            counts = dict(
                db.session.execute(select(DirectMessage.status, func.count()).group_by(DirectMessage.status)).all()
            )
            waiting = db.session.scalar(
                select(func.count())
                .select_from(DirectMessage)
                .where(DirectMessage.status == "approved", DirectMessage.status_reason.like("quota reached%"))
            )
            return counts.get("sent") == 50 and waiting + counts.get("draft", 0) == 150 and counts

    try:
        counts = wait_for(settled, timeout=90, interval=0.5, message="50 sent, the rest waiting or refused")
    finally:
        _stop(workers)
    print(f"settled in {time.monotonic() - started:.1f}s; {refused} approvals refused for quota")
    assert counts.get("draft", 0) == refused and set(counts) <= {"sent", "approved", "draft"}
    sent = instagram_emulator.sent_messages
    assert len(sent) == 50
    assert max(Counter(m["recipient"]["comment_id"] for m in sent).values()) == 1  # no duplicates
    with redis_app.app_context():
        usage = db.session.scalars(select(QuotaUsage)).all()
        assert [u.used for u in usage] == [50]


def test_worker_killed_after_platform_accepted_leaves_unknown_never_resent(
    redis_app, owner_actor, instagram_emulator, start_worker
):
    workspace_id, actor = owner_actor
    with redis_app.app_context():
        shop = instagram_shop(instagram_emulator, workspace_id, quota=5)
        target, _ = commenter(instagram_emulator, shop)
        dm_id = dms.create_draft(target.id, actor=actor, text="Hello").id
        instagram_emulator.hang = True
        dms.approve(dm_id, actor=actor)
    env = {k: str(v) for k, v in instagram_emulator.config().items()}
    worker = start_worker(["interactive"], **env)
    wait_for(lambda: len(instagram_emulator.sent_messages) == 1, timeout=30, message="the platform accepted")
    with redis_app.app_context():
        assert dm_status(dm_id) == "sending"  # the intent was committed before the call
    for pid in _children(worker.proc.pid):  # the work horse holding the request, then its worker
        os.kill(pid, signal.SIGKILL)
    worker.proc.kill()
    worker.proc.wait(10)
    instagram_emulator.hang = False
    instagram_emulator.release.set()

    with redis_app.app_context():
        # Recovery: the job runs again (a retry) and finds the DM still `sending`.
        assert sending.send(dm_id)["status"] == "unknown"
        dm = db.session.get(DirectMessage, dm_id)
        assert "may have gone out" in dm.status_reason
        sending.send(dm_id)
        assert dm_status(dm_id) == "unknown"
    assert len(instagram_emulator.sent_messages) == 1
