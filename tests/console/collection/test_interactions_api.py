"""GET /interactions/workspace/:id (filters, order, pages), POST /interactions/collect/:id, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import db
from core.models import JobRun, SocialAccount
from tests.conftest import Factory, wait_for
from tests.factories import make_account, make_interaction, make_target

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def seeded(app, factory):
    owner = factory.user()
    workspace_id = factory.workspace(owner)["id"]
    with app.app_context():
        shop, other_shop = make_account(workspace_id), make_account(workspace_id)
        alice = make_target(shop, username="Alice", platform_user_id="u-alice")
        bob = make_target(other_shop, username="bob", platform_user_id="u-bob")
        make_interaction(alice, text="How much is it?", occurred_at=T0, platform_id="c1")
        make_interaction(
            alice, kind="reply", text="100% want one", occurred_at=T0 + timedelta(hours=1), platform_id="c2"
        )
        make_interaction(
            bob,
            kind="message",
            text="hello there",
            occurred_at=T0 + timedelta(hours=2),
            platform_id="m1",
            media_id=None,
        )
        make_interaction(bob, kind="mention", text="look @shop", occurred_at=T0 + timedelta(hours=3), platform_id="t1")
        return {"owner": owner, "workspace_id": workspace_id, "shop": shop.id, "other_shop": other_shop.id}


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["platform_id"] for item in response.get_json()["items"]]


def test_list_is_newest_first_with_every_filter(seeded):
    owner, base = seeded["owner"], f"/interactions/workspace/{seeded['workspace_id']}"
    assert _ids(owner.get(base)) == ["t1", "m1", "c2", "c1"]
    assert _ids(owner.get(f"{base}?kind=reply")) == ["c2"]
    assert _ids(owner.get(f"{base}?account={seeded['shop']}")) == ["c2", "c1"]
    assert _ids(owner.get(f"{base}?author=@alice")) == ["c2", "c1"]
    assert _ids(owner.get(f"{base}?author=u-bob")) == ["t1", "m1"]
    assert _ids(owner.get(f"{base}?q=HOW%20MUCH")) == ["c1"]
    assert _ids(owner.get(f"{base}?q=100%25")) == ["c2"]  # % is literal, not a wildcard
    assert _ids(owner.get(f"{base}?q=_")) == []
    since, until = (T0 + timedelta(minutes=30)).isoformat(), (T0 + timedelta(hours=2)).isoformat()
    assert _ids(owner.get(f"{base}", query_string={"since": since, "until": until})) == ["m1", "c2"]
    assert _ids(owner.get(f"{base}?since=2026-03-01T14:30:00")) == ["t1"]  # no offset: UTC
    item = owner.get(f"{base}?kind=message").get_json()["items"][0]
    assert item["kind"] == "message" and item["source"] == "poll" and "raw" not in item


def test_keyset_pages_cover_everything_once(seeded):
    owner, base = seeded["owner"], f"/interactions/workspace/{seeded['workspace_id']}"
    first = owner.get(f"{base}?limit=3").get_json()
    assert [i["platform_id"] for i in first["items"]] == ["t1", "m1", "c2"] and first["next_cursor"]
    rest = owner.get(f"{base}?limit=3&cursor={first['next_cursor']}").get_json()
    assert [i["platform_id"] for i in rest["items"]] == ["c1"] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    "query, field",
    [
        ("kind=like", "kind"),
        ("since=yesterday", "since"),
        ("until=2026-13-01", "until"),
        ("since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", "until"),
        ("account=abc", "account"),
        ("account=0", "account"),
        ("limit=0", "limit"),
        ("cursor=%21%21", "cursor"),
        ("colour=red", "colour"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_every_filter_is_validated(seeded, query, field):
    response = seeded["owner"].get(f"/interactions/workspace/{seeded['workspace_id']}?{query}")
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_another_workspace_ids_are_404_on_every_route(seeded, factory, app, instagram_emulator):
    stranger = factory.user()
    own_ws = factory.workspace(stranger, name="Mine")["id"]
    base = f"/interactions/workspace/{seeded['workspace_id']}"
    assert stranger.get(base).status_code == 404
    assert stranger.get("/interactions/workspace/999999").status_code == 404
    assert stranger.get(f"/interactions/workspace/{own_ws}?account={seeded['shop']}").status_code == 404
    assert stranger.post(f"/interactions/collect/{seeded['shop']}").status_code == 404
    assert stranger.post("/interactions/collect/999999").status_code == 404
    # A job of the first workspace is not visible to the stranger either.
    ig_user_id = instagram_emulator.add_account()
    with app.app_context():
        account = db.session.get(SocialAccount, seeded["shop"])
        account.platform_user_id = ig_user_id
        account.store_tokens(access_token=instagram_emulator.issue_token(ig_user_id), expires_at=None)
        db.session.commit()
    job_id = seeded["owner"].post(f"/interactions/collect/{seeded['shop']}").get_json()["job_id"]
    assert stranger.get(f"/jobs/{job_id}").status_code == 404
    assert seeded["owner"].get(f"/interactions/workspace/{own_ws}").status_code == 404
    assert seeded["owner"].get(base).status_code == 200


def test_anonymous_callers_are_refused(client, seeded):
    assert client.get(f"/interactions/workspace/{seeded['workspace_id']}").status_code == 401
    assert client.post(f"/interactions/collect/{seeded['shop']}").status_code == 401


def _connected_account(app, instagram_emulator, workspace_id: int) -> int:
    ig_user_id = instagram_emulator.add_account(username="acme")
    token = instagram_emulator.issue_token(ig_user_id)
    post = instagram_emulator.add_media(ig_user_id, "drop", timestamp=datetime.now(UTC) - timedelta(days=1))
    instagram_emulator.add_comment(post, "price?", "zed", "u-zed")
    instagram_emulator.add_comment(post, "nice", "amy", "u-amy")
    with app.app_context():
        return make_account(workspace_id, platform_user_id=ig_user_id, access_token=token).id


def test_a_member_collects_now_in_process_and_gets_the_counts(app, factory, instagram_emulator):
    owner = factory.user()
    workspace_id = factory.workspace(owner)["id"]
    member = factory.member(owner, workspace_id, role="member")
    account_id = _connected_account(app, instagram_emulator, workspace_id)

    response = member.post(f"/interactions/collect/{account_id}")

    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "finished" and body["result"]["new_interactions"] == 2
    assert body["result"]["api_calls"] >= 3 and body["result"]["errors"] == []
    job = member.get(f"/jobs/{body['job_id']}").get_json()
    assert job["kind"] == "collect-account" and job["result"]["new_interactions"] == 2
    listed = member.get(f"/interactions/workspace/{workspace_id}").get_json()["items"]
    assert sorted(i["author_username"] for i in listed) == ["amy", "zed"]


def test_paused_or_disconnected_accounts_are_a_conflict(app, factory):
    owner = factory.user()
    workspace_id = factory.workspace(owner)["id"]
    with app.app_context():
        paused = make_account(workspace_id)
        paused.paused = True
        db.session.commit()
        gone = make_account(workspace_id, status="needs_reconnect")
        ids = paused.id, gone.id
    for account_id in ids:
        response = owner.post(f"/interactions/collect/{account_id}")
        assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"


def test_with_redis_collect_answers_202_and_a_worker_fills_the_job(redis_app, start_worker, instagram_emulator):
    client = redis_app.test_client()
    factory = Factory(client)
    owner = factory.user()
    workspace_id = factory.workspace(owner)["id"]
    account_id = _connected_account(redis_app, instagram_emulator, workspace_id)

    response = owner.post(f"/interactions/collect/{account_id}")

    assert response.status_code == 202 and response.get_json()["status"] == "queued"
    job_id = response.get_json()["job_id"]
    start_worker(["bulk"], **instagram_emulator.config())

    def done():
        job = owner.get(f"/jobs/{job_id}").get_json()
        return job if job["status"] in ("finished", "failed") else None

    job = wait_for(done, timeout=60, message="the collection job finished")
    assert job["status"] == "finished" and job["result"]["new_interactions"] == 2
    with redis_app.app_context():
        assert db.session.scalar(select(JobRun.queue).where(JobRun.id == job_id)) == "bulk"
