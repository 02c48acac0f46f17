"""Collection against the Instagram and TikTok emulators: incremental cost, paging, replies, crashes,
concurrency, rate limits, revoked tokens, and the 15-minute fan-out."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import (
    AccountCollectionState,
    Interaction,
    JobRun,
    MediaState,
    OutboxEvent,
    SocialAccount,
    Target,
    Workspace,
)
from core.services.collection import cycle as collection
from tests.conftest import wait_for
from tests.emulators.instagram import graph_error
from tests.emulators.server import Reply
from tests.factories import make_account


@pytest.fixture
def app_config(instagram_emulator, tiktok_emulator):
    return instagram_emulator.config() | tiktok_emulator.config()


def ago(**kwargs) -> datetime:
    return datetime.now(UTC) - timedelta(**kwargs)


@pytest.fixture
def workspace_id(factory):
    return factory.workspace(factory.user())["id"]


@pytest.fixture
def ig(instagram_emulator, app, workspace_id):
    """An Instagram account connected in the workspace: (emulator id, token, our account id)."""
    ig_user_id = instagram_emulator.add_account(username="acme_shop")
    token = instagram_emulator.issue_token(ig_user_id)
    with app.app_context():
        account = make_account(workspace_id, platform_user_id=ig_user_id, access_token=token, username="acme_shop")
        return ig_user_id, token, account.id


def _interactions(account_id: int) -> list[Interaction]:
    db.session.expire_all()
    stmt = select(Interaction).where(Interaction.social_account_id == account_id).order_by(Interaction.platform_id)
    return list(db.session.scalars(stmt))


def _count(account_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Interaction.social_account_id == account_id))


def _seed_two_posts(emu, ig_user_id):
    post_a = emu.add_media(ig_user_id, caption="Spring drop", timestamp=ago(days=2))
    post_b = emu.add_media(ig_user_id, caption="Old news", timestamp=ago(days=3))
    first = emu.add_comment(post_a, "how much is it?", "alice", "u-alice", timestamp=ago(hours=30))
    emu.add_comment(post_a, "love it", "bob", "u-bob", timestamp=ago(hours=29))
    emu.add_comment(post_a, "link please", "alice", "u-alice", timestamp=ago(hours=28), parent_id=first)
    emu.add_comment(post_b, "nice", "carol", "u-carol", timestamp=ago(hours=20))
    emu.add_mention(ig_user_id, "Look at @acme_shop", "dave", timestamp=ago(hours=5))
    return post_a, post_b


def test_first_full_collection_stores_comments_replies_mentions_and_targets(app_ctx, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    post_a, _ = _seed_two_posts(instagram_emulator, ig_user_id)

    result = collection.collect_account(account_id)

    assert result.errors == [] and result.skipped is None
    assert result.new_interactions == 5 and result.media_changed == 2 and result.mentions_new == 1
    rows = _interactions(account_id)
    assert sorted(r.kind for r in rows) == ["comment", "comment", "comment", "mention", "reply"]
    reply = next(r for r in rows if r.kind == "reply")
    assert reply.parent_platform_id and reply.media_id == post_a and reply.source == "poll"
    question = next(r for r in rows if r.text == "how much is it?")
    assert question.has_intent and question.media_permalink.endswith(f"/{post_a}/")
    alice = db.session.scalar(select(Target).where(Target.platform_user_id == "u-alice"))
    assert (alice.interactions_count, alice.comments_count, alice.messages_count) == (2, 2, 0)
    assert alice.needs_rescore and alice.username == "alice"
    assert alice.first_seen_at < alice.last_seen_at
    assert alice.id in result.target_ids
    mention = next(r for r in rows if r.kind == "mention")
    assert mention.author_username == "dave" and mention.target_id is not None
    state = db.session.get(AccountCollectionState, account_id)
    assert state.last_result["new_interactions"] == 5 and state.last_result["api_calls"] == result.api_calls
    assert db.session.get(SocialAccount, account_id).last_collected_at is not None
    media_state = db.session.scalar(select(MediaState).where(MediaState.media_id == post_a))
    assert media_state.comments_count == 3 and media_state.cursor is None


def test_a_quiet_cycle_costs_at_most_two_calls_and_stores_nothing(app_ctx, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    _seed_two_posts(instagram_emulator, ig_user_id)
    collection.collect_account(account_id)
    instagram_emulator.reset_calls()

    result = collection.collect_account(account_id)

    assert len(instagram_emulator.calls()) <= 2
    assert result.api_calls == len(instagram_emulator.calls())
    assert result.new_interactions == 0 and result.media_changed == 0
    assert _count(account_id) == 5
    alice = db.session.scalar(select(Target).where(Target.platform_user_id == "u-alice"))
    assert alice.interactions_count == 2  # counters never move for rows seen before


def test_new_comments_on_one_post_only_read_that_post(app_ctx, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    post_a, post_b = _seed_two_posts(instagram_emulator, ig_user_id)
    collection.collect_account(account_id)
    instagram_emulator.add_comment(post_b, "price?", "erin", "u-erin", timestamp=ago(minutes=5))
    instagram_emulator.add_comment(post_b, "want one", "bob", "u-bob", timestamp=ago(minutes=4))
    instagram_emulator.reset_calls()

    result = collection.collect_account(account_id)

    assert result.new_interactions == 2 and result.media_changed == 1
    assert instagram_emulator.calls(path_contains=f"{post_b}/comments")
    assert not instagram_emulator.calls(path_contains=post_a)
    assert len(instagram_emulator.calls()) == 3  # media, post B's comments, mentions
    bob = db.session.scalar(select(Target).where(Target.platform_user_id == "u-bob"))
    assert bob.interactions_count == 2


def test_pagination_reads_every_page(app_ctx, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    instagram_emulator.page_size = 3
    post = instagram_emulator.add_media(ig_user_id, timestamp=ago(days=1))
    for i in range(8):
        instagram_emulator.add_comment(post, f"comment {i}", f"fan{i}", f"u-{i}", timestamp=ago(hours=10 - i))

    result = collection.collect_account(account_id)

    assert result.new_interactions == 8
    assert len(instagram_emulator.calls(path_contains=f"{post}/comments")) == 3
    assert db.session.scalar(select(func.count()).select_from(Target)) == 8


def test_a_crash_between_pages_then_a_rerun_stores_each_comment_once(app_ctx, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    instagram_emulator.page_size = 3
    post = instagram_emulator.add_media(ig_user_id, timestamp=ago(days=1))
    for i in range(8):
        instagram_emulator.add_comment(post, f"comment {i}", f"fan{i}", f"u-{i}", timestamp=ago(hours=10 - i))
    # Page 2 (the request carrying a cursor) fails on every attempt, retries included.
    broken = {"on": True}
    original = instagram_emulator.handle

    def handle(request):
        if broken["on"] and f"{post}/comments" in request.path and request.query.get("after"):
            return graph_error("An unexpected error has occurred.", 2, status=500)
        return original(request)

    instagram_emulator.handle = handle

    crashed = collection.collect_account(account_id)

    assert crashed.errors and _count(account_id) == 3  # page 1 kept
    state = db.session.scalar(select(MediaState).where(MediaState.media_id == post))
    assert state.cursor is not None
    broken["on"] = False
    instagram_emulator.reset_calls()

    rerun = collection.collect_account(account_id)

    assert rerun.errors == [] and rerun.new_interactions == 5
    rows = _interactions(account_id)
    assert len(rows) == 8 and len({r.platform_id for r in rows}) == 8
    # Resumed after page 1: no request for the first page again.
    assert all(r.query.get("after") for r in instagram_emulator.calls(path_contains=f"{post}/comments"))
    assert db.session.scalar(select(func.sum(Target.interactions_count))) == 8


def _reply_threads_read(emu) -> list[str]:
    return [r.path.rstrip("/").split("/")[-2] for r in emu.calls(path_contains="/replies")]


def test_only_threads_with_new_replies_are_read(app_ctx, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    post = instagram_emulator.add_media(ig_user_id, timestamp=ago(days=1))
    top = [
        instagram_emulator.add_comment(post, f"comment {i}", f"fan{i}", f"u-{i}", timestamp=ago(hours=10 - i))
        for i in range(4)
    ]
    instagram_emulator.add_comment(post, "thanks!", "acme_shop", "u-shop", timestamp=ago(hours=5), parent_id=top[0])

    first = collection.collect_account(account_id)

    assert first.errors == [] and first.new_interactions == 5
    assert _reply_threads_read(instagram_emulator) == [top[0]]  # not the three threads without replies
    instagram_emulator.add_comment(post, "how much?", "fan9", "u-9", timestamp=ago(minutes=3), parent_id=top[2])
    instagram_emulator.reset_calls()

    second = collection.collect_account(account_id)

    assert second.new_interactions == 1 and second.media_changed == 1
    assert _reply_threads_read(instagram_emulator) == [top[2]]
    assert len(instagram_emulator.calls()) == 4  # media, the post's comments, one thread, mentions
    reply = db.session.scalar(select(Interaction).where(Interaction.text == "how much?"))
    assert reply.kind == "reply" and reply.parent_platform_id == top[2]
    assert db.session.scalar(select(MediaState.comments_count).where(MediaState.media_id == post)) == 6


def test_a_thread_longer_than_its_listed_page_is_read_when_the_count_grows(app_ctx, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    instagram_emulator.page_size = 2
    post = instagram_emulator.add_media(ig_user_id, timestamp=ago(days=1))
    top = [
        instagram_emulator.add_comment(post, f"comment {i}", f"fan{i}", f"u-{i}", timestamp=ago(hours=10 - i))
        for i in range(4)
    ]
    for i in range(3):  # more than the page lists inline: its count is unknown
        instagram_emulator.add_comment(post, f"r{i}", f"fan{i}", f"u-{i}", timestamp=ago(hours=4 - i), parent_id=top[1])
    instagram_emulator.add_comment(post, "one", "fan3", "u-3", timestamp=ago(hours=1), parent_id=top[3])

    result = collection.collect_account(account_id)

    assert result.errors == [] and result.new_interactions == 8
    assert _reply_threads_read(instagram_emulator) == [top[3], top[1], top[1]]  # known thread, then 2 pages
    instagram_emulator.reset_calls()
    assert collection.collect_account(account_id).new_interactions == 0
    assert len(instagram_emulator.calls()) <= 2


def test_concurrent_collections_in_process_store_each_interaction_once(app, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    _seed_two_posts(instagram_emulator, ig_user_id)
    instagram_emulator.delay_next(0.5, path_contains="/media")
    results = []

    def run():
        with app.app_context():
            results.append(collection.collect_account(account_id).as_dict())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(bool(r["skipped"]) for r in results) == [False, True]
    with app.app_context():
        assert _count(account_id) == 5
        assert db.session.scalar(select(func.sum(Target.interactions_count))) == 5


def test_concurrent_collections_on_two_rq_workers_store_each_interaction_once(
    redis_app, redis_client, start_worker, instagram_emulator, factory, workspace_id
):
    ig_user_id = instagram_emulator.add_account(username="acme_shop")
    token = instagram_emulator.issue_token(ig_user_id)
    _seed_two_posts(instagram_emulator, ig_user_id)
    instagram_emulator.delay_next(1.0, count=2, path_contains="/media")
    env = {k: v for k, v in instagram_emulator.config().items()}
    with redis_app.app_context():
        account_id = make_account(workspace_id, platform_user_id=ig_user_id, access_token=token).id
        from core import jobs

        ids = [
            jobs.enqueue(
                collection.JOB_FUNC,
                account_id,
                kind=collection.JOB_KIND,
                queue=jobs.QUEUE_BULK,
                workspace_id=workspace_id,
            ).id
            for _ in range(2)
        ]
    start_worker(["bulk"], **env)
    start_worker(["bulk"], **env)
    with redis_app.app_context():

        def finished():
            db.session.expire_all()
            runs = db.session.scalars(select(JobRun).where(JobRun.id.in_(ids))).all()
            return all(r.status in ("finished", "failed") for r in runs) and runs

        runs = wait_for(finished, timeout=60, message="both collections finished")
        assert {r.status for r in runs} == {"finished"}, [r.error for r in runs]
        assert sum(r.result["new_interactions"] for r in runs) == 5
        assert _count(account_id) == 5
        assert db.session.scalar(select(func.sum(Target.interactions_count))) == 5


def test_a_rate_limited_account_backs_off_and_is_skipped_next_cycle(app_ctx, instagram_emulator, ig):
    ig_user_id, _, account_id = ig
    _seed_two_posts(instagram_emulator, ig_user_id)
    instagram_emulator.rate_limit_next(code=4, retry_after=2, path_contains="/media")

    result = collection.collect_account(account_id)

    assert result.errors and "rate limited" in result.errors[0]
    state = db.session.get(AccountCollectionState, account_id)
    assert utcnow() < state.backoff_until <= utcnow() + timedelta(seconds=3)
    assert "Instagram rate limit" in state.backoff_reason
    assert account_id not in [a for _, a in collection.due_accounts()]
    instagram_emulator.reset_calls()

    again = collection.collect_account(account_id)

    assert again.skipped.startswith("rate limited until") and instagram_emulator.calls() == []
    time.sleep(2.2)
    later = collection.collect_account(account_id)
    assert later.skipped is None and later.new_interactions == 5
    assert db.session.get(AccountCollectionState, account_id).backoff_until is None


def test_a_revoked_token_marks_the_account_needs_reconnect(app_ctx, instagram_emulator, ig):
    _, token, account_id = ig
    instagram_emulator.expire_token(token)

    result = collection.collect_account(account_id)

    assert result.errors == ["token rejected: the account must be reconnected"]
    account = db.session.get(SocialAccount, account_id)
    assert account.status == "needs_reconnect" and "190" in account.status_reason
    assert token not in account.status_reason
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.type == "account.needs_reconnect"))
    assert event is not None and event.workspace_id == account.workspace_id
    instagram_emulator.reset_calls()
    assert collection.collect_account(account_id).skipped == "the account needs reconnecting"
    assert instagram_emulator.calls() == []


def test_tiktok_videos_comments_and_replies(app_ctx, tiktok_emulator, workspace_id):
    open_id = tiktok_emulator.add_account(username="acme_tt")
    token = tiktok_emulator.issue_token(open_id)
    account_id = make_account(workspace_id, platform="tiktok", platform_user_id=open_id, access_token=token).id
    video = tiktok_emulator.add_video(open_id, "new drop", create_time=ago(days=1))
    top = tiktok_emulator.add_comment(video, "where can I buy", "zoe", "tt-zoe", timestamp=ago(hours=3))
    tiktok_emulator.add_comment(video, "here!", "acme_tt", "tt-acme", timestamp=ago(hours=2), parent_id=top)
    tiktok_emulator.add_video(open_id, "ancient", create_time=ago(days=90))  # outside the look-back window

    first = collection.collect_account(account_id)

    assert first.errors == [] and first.new_interactions == 2 and first.media_checked == 1
    kinds = sorted(r.kind for r in _interactions(account_id))
    assert kinds == ["comment", "reply"]
    tiktok_emulator.reset_calls()
    quiet = collection.collect_account(account_id)
    assert quiet.new_interactions == 0 and len(tiktok_emulator.calls()) <= 2


def test_fan_out_runs_every_active_account_and_one_bad_account_stops_nothing(
    app_ctx, instagram_emulator, ig, factory, workspace_id
):
    from worker.jobs.collection import enqueue_due_collections

    ig_user_id, _, account_id = ig
    _seed_two_posts(instagram_emulator, ig_user_id)
    broken_id = make_account(workspace_id, platform_user_id="17840000000000999").id  # unknown token: 190
    paused = make_account(workspace_id, platform_user_id="17840000000000998")
    paused.paused = True
    suspended_ws = factory.workspace(factory.user(), name="Gone")["id"]
    make_account(suspended_ws, platform_user_id="17840000000000997")
    db.session.get(Workspace, suspended_ws).suspended_at = utcnow()
    db.session.commit()

    outcome = enqueue_due_collections()

    assert outcome == {"accounts": 2, "started": 2, "failed": 0}
    assert _count(account_id) == 5
    assert db.session.get(SocialAccount, broken_id).status == "needs_reconnect"
    runs = db.session.scalars(select(JobRun).where(JobRun.kind == collection.JOB_KIND)).all()
    assert sorted(r.args[0] for r in runs) == sorted([account_id, broken_id])
    assert {r.status for r in runs} == {"finished"}


def test_fan_out_with_redis_spreads_the_accounts_with_jitter(redis_app, redis_client, workspace_id):
    from rq import Queue

    from worker.jobs.collection import SPREAD_SECONDS, enqueue_due_collections

    with redis_app.app_context():
        ids = [make_account(workspace_id).id for _ in range(3)]
        outcome = enqueue_due_collections()
        assert outcome["started"] == 3
        runs = db.session.scalars(select(JobRun).where(JobRun.kind == collection.JOB_KIND)).all()
        assert sorted(r.args[0] for r in runs) == sorted(ids) and {r.status for r in runs} == {"queued"}
    # RQ's own scheduler (run by the workers) holds them until due: the same one as delayed DM sends.
    registry = Queue("bulk", connection=redis_client).scheduled_job_registry
    ours = {
        job_id: registry.get_scheduled_time(job_id)
        for job_id in registry.get_job_ids()
        if job_id in {r.id for r in runs}
    }
    assert len(ours) == 3
    now = datetime.now(UTC)
    offsets = sorted((when - now).total_seconds() for when in ours.values())
    assert all(-5 <= o <= SPREAD_SECONDS for o in offsets)
    assert len({round(o) for o in offsets}) == 3  # not all at once


def test_fan_out_with_redis_down_leaves_no_run_looking_in_progress(database_url, app_config, workspace_id):
    from vistaflow import create_app
    from worker.jobs.collection import enqueue_due_collections

    config = app_config | {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    app = create_app(config)
    with app.app_context():
        try:
            make_account(workspace_id)
            outcome = enqueue_due_collections()
            assert outcome == {"accounts": 1, "started": 0, "failed": 1}
            runs = db.session.scalars(select(JobRun).where(JobRun.kind == collection.JOB_KIND)).all()
            # Not `queued` forever: the Interactions page would think a collection is running.
            assert [r.status for r in runs] == ["failed"]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_collect_job_records_counts(app_ctx, instagram_emulator, ig):
    from core import jobs

    ig_user_id, _, account_id = ig
    _seed_two_posts(instagram_emulator, ig_user_id)
    run = jobs.enqueue(collection.JOB_FUNC, account_id, kind=collection.JOB_KIND, queue=jobs.QUEUE_BULK)
    assert run.status == "finished"
    assert run.result["new_interactions"] == 5 and run.result["api_calls"] >= 3
    assert run.result["errors"] == []
    _ = Reply  # the emulator's reply type, used by fault helpers above
