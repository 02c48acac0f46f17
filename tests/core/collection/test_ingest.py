"""ingest.store: once per (account, platform id), set-based target counters, windows, opt-outs,
concurrency on PostgreSQL, and the same behaviour on SQLite."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import DirectMessage, DoNotContact, Interaction, SocialAccount, Target
from core.services.collection import ingest
from core.services.privacy import contact_policy
from tests.factories import make_account, make_target

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def account(app_ctx, factory):
    return make_account(factory.workspace(factory.user())["id"])


def comment(n: int, user: str = "u-1", minutes: int = 0, kind: str = "comment", text: str = "nice", **kw):
    return ingest.Incoming(
        platform_id=f"c{n}",
        kind=kind,
        occurred_at=T0 + timedelta(minutes=minutes),
        author_platform_id=user,
        author_username=user.replace("u-", ""),
        text=text,
        **kw,
    )


def _target(user: str) -> Target:
    db.session.expire_all()
    return db.session.scalar(select(Target).where(Target.platform_user_id == user))


def test_a_batch_stored_twice_counts_once(account):
    batch = [comment(1, minutes=5), comment(2, minutes=1), comment(3, user="u-2", text="price?"), comment(1)]
    first = ingest.store(account, batch, source="poll")
    db.session.commit()
    again = ingest.store(account, batch, source="poll")
    db.session.commit()

    assert (first.new, first.seen, again.new) == (3, 3, 0)
    assert again.target_ids == set()
    one = _target("u-1")
    assert (one.interactions_count, one.comments_count, one.messages_count) == (2, 2, 0)
    assert (one.first_seen_at, one.last_seen_at) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=5))
    assert one.needs_rescore and one.username == "1"
    question = db.session.scalar(select(Interaction).where(Interaction.platform_id == "c3"))
    assert question.has_intent and question.intent_reason and question.target_id == _target("u-2").id


def test_later_batches_widen_seen_times_and_only_move_the_window_forward(account):
    ingest.store(account, [comment(1, minutes=10, kind="message")], source="webhook")
    ingest.store(account, [comment(2, minutes=-30, kind="message"), comment(3, minutes=60)], source="poll")
    db.session.commit()
    one = _target("u-1")
    assert one.first_seen_at == T0 - timedelta(minutes=30) and one.last_seen_at == T0 + timedelta(minutes=60)
    assert one.last_inbound_message_at == T0 + timedelta(minutes=10)  # the older message did not pull it back
    assert (one.messages_count, one.comments_count, one.interactions_count) == (2, 1, 3)


def test_opt_outs_in_messages_and_replies_block_but_not_in_public_comments(account):
    target = make_target(account, platform_user_id="u-9")
    db.session.add(
        DirectMessage(
            workspace_id=account.workspace_id,
            social_account_id=account.id,
            target_id=target.id,
            kind="message",
            text="hi",
            status="approved",
        )
    )
    db.session.commit()
    result = ingest.store(
        account,
        [comment(1, user="u-8", text="stop"), comment(2, user="u-9", kind="message", text="STOP")],
        source="poll",
    )
    db.session.commit()
    assert result.opted_out == 1
    assert contact_policy.is_blocked(account.workspace_id, "instagram", "u-9")
    assert not contact_policy.is_blocked(account.workspace_id, "instagram", "u-8")
    assert db.session.scalar(select(DirectMessage.status)) == "cancelled"
    assert _target("u-9").opted_out_at is not None
    ingest.store(account, [comment(3, user="u-8", kind="reply", text="stop", parent_platform_id="c0")], source="poll")
    db.session.commit()
    assert contact_policy.is_blocked(account.workspace_id, "instagram", "u-8")
    assert db.session.scalar(select(func.count()).select_from(DoNotContact)) == 2


def test_a_mention_known_only_by_username_joins_the_known_person(account):
    ingest.store(account, [comment(1, user="u-77")], source="poll")  # username "77"
    mention = ingest.Incoming(platform_id="m1", kind="mention", occurred_at=T0, author_username="77", text="@shop")
    stranger = ingest.Incoming(platform_id="m2", kind="mention", occurred_at=T0, author_username="Nobody")
    ingest.store(account, [mention, stranger], source="poll")
    db.session.commit()
    assert _target("u-77").interactions_count == 2
    assert _target("@nobody").interactions_count == 1


def test_the_same_id_on_two_accounts_is_two_interactions(account):
    other = make_account(account.workspace_id)
    ingest.store(account, [comment(1)], source="poll")
    ingest.store(other, [comment(1)], source="poll")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Interaction)) == 2
    assert db.session.scalar(select(func.count()).select_from(Target)) == 2


def test_bad_items_are_refused_before_anything_is_written(account):
    with pytest.raises(ValueError):
        ingest.store(account, [comment(1), comment(2, kind="like")], source="poll")
    with pytest.raises(ValueError):
        ingest.store(account, [ingest.Incoming("x", "comment", datetime(2026, 1, 1))], source="poll")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Interaction)) == 0


def test_concurrent_batches_on_postgresql_store_each_row_once(app, factory):
    with app.app_context():
        account_id = make_account(factory.workspace(factory.user())["id"]).id
    batch = [comment(n, user=f"u-{n % 7}", minutes=n) for n in range(200)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run():
        with app.app_context():
            try:
                account = db.session.get(SocialAccount, account_id)
                barrier.wait()
                for start in range(0, 200, 50):
                    ingest.store(account, batch[start : start + 50], source="poll")
                    db.session.commit()
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Interaction)) == 200
        assert db.session.scalar(select(func.sum(Target.interactions_count))) == 200
        assert db.session.scalar(select(func.count()).select_from(Target)) == 7


def test_sqlite_behaves_the_same(tmp_path, database_url):
    from vistaflow import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'vf.sqlite3'}", "TESTING": True, "REDIS_URL": None}
    )
    with app.app_context():
        db.create_all()
        from core.models import Workspace

        workspace = Workspace(name="Solo", slug="solo", time_zone="UTC", settings={})
        db.session.add(workspace)
        db.session.commit()
        account = make_account(workspace.id)
        batch = [
            comment(1, minutes=3),
            comment(2, kind="message", minutes=1),
            comment(3, user="u-2", text="stop", kind="message"),
        ]
        assert ingest.store(account, batch, source="poll").new == 3
        db.session.commit()
        assert ingest.store(account, batch, source="poll").new == 0
        db.session.commit()
        one = _target("u-1")
        assert (one.interactions_count, one.messages_count) == (2, 1)
        assert one.last_inbound_message_at == T0 + timedelta(minutes=1)
        assert one.last_seen_at == T0 + timedelta(minutes=3)
        assert contact_policy.is_blocked(workspace.id, "instagram", "u-2")
        db.session.remove()
