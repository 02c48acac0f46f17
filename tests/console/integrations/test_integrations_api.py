"""/integrations API: CRUD, roles, secrets never returned, SSRF at creation, delivery log, isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core import crypto
from core.db import db
from core.integrations import delivery as engine
from core.models import Integration
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.emulators.integration_fixtures import *  # noqa: F403
from tests.factories import make_account, make_target

SYSTEM = Actor.system("test")


@pytest.fixture
def team(app, factory, webhook_receiver):
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(owner, workspace["id"])
    stranger = factory.user()
    other = factory.workspace(stranger, name="Other")
    created = owner.post(
        f"/integrations/workspace/{workspace['id']}",
        json={
            "kind": "webhook",
            "name": "CRM",
            "config": {"url": webhook_receiver.url + "/in"},
            "events": ["lead.created"],
        },
    )
    assert created.status_code == 201, created.get_json()
    foreign = stranger.post(
        f"/integrations/workspace/{other['id']}",
        json={"kind": "webhook", "name": "Theirs", "config": {"url": webhook_receiver.url}, "events": ["lead.created"]},
    )
    webhook_receiver.secret = created.get_json()["signing_secret"]
    with app.app_context():
        account = make_account(other["id"])
        leads.create(other["id"], make_target(account).id, actor=SYSTEM)
        engine.dispatch_pending()
        foreign_delivery = db.session.scalar(text("SELECT id FROM deliveries"))
    return {
        "owner": owner,
        "member": member,
        "stranger": stranger,
        "ws": workspace["id"],
        "other": other["id"],
        "hook": created.get_json(),
        "foreign": foreign.get_json()["id"],
        "foreign_delivery": foreign_delivery,
    }


def test_create_shows_the_signing_secret_once_and_never_again(app, team):
    hook = team["hook"]
    secret = hook["signing_secret"]
    assert secret.startswith("whsec_") and hook["secret_set"] is True and hook["events"] == ["lead.created"]
    owner = team["owner"]
    for response in (
        owner.get(f"/integrations/{hook['id']}"),
        owner.get(f"/integrations/workspace/{team['ws']}"),
        owner.patch(f"/integrations/{hook['id']}", json={"name": "CRM 2"}),
    ):
        assert response.status_code == 200
        assert secret not in response.get_data(as_text=True) and "signing_secret" not in response.get_json()
    with app.app_context():
        stored = db.session.get(Integration, hook["id"])
        assert secret not in stored.secret_encrypted and stored.decrypted_secret() == secret
        assert (Integration, "secret_encrypted", "secret") in crypto.ENCRYPTED_COLUMNS  # rotate-keys covers it


def test_patch_events_enable_disable_and_delete(team):
    owner, hook = team["owner"], team["hook"]
    response = owner.patch(
        f"/integrations/{hook['id']}", json={"events": ["dm.sent", "lead.created"], "enabled": False}
    )
    body = response.get_json()
    assert body["events"] == ["lead.created", "dm.sent"] and body["enabled"] is False
    assert body["disabled_reason"].startswith("Disabled by")
    body = owner.patch(f"/integrations/{hook['id']}", json={"enabled": True}).get_json()
    assert body["enabled"] is True and body["disabled_reason"] is None
    bad = owner.patch(f"/integrations/{hook['id']}", json={"events": ["lead.deleted"]})
    assert bad.status_code == 422 and "events" in bad.get_json()["error"]["fields"]
    unknown = owner.patch(f"/integrations/{hook['id']}", json={"secret": "x"})
    assert unknown.status_code == 422
    assert owner.delete(f"/integrations/{hook['id']}").status_code == 204
    assert owner.get(f"/integrations/{hook['id']}").status_code == 404


def test_members_read_but_only_owners_and_admins_change(team):
    member, hook = team["member"], team["hook"]
    assert member.get(f"/integrations/workspace/{team['ws']}").status_code == 200
    assert member.get(f"/integrations/{hook['id']}/deliveries").status_code == 200
    assert member.patch(f"/integrations/{hook['id']}", json={"name": "x"}).status_code == 403
    assert member.delete(f"/integrations/{hook['id']}").status_code == 403
    assert member.post(f"/integrations/{hook['id']}/test").status_code == 403
    assert (
        member.post(
            f"/integrations/workspace/{team['ws']}",
            json={"kind": "webhook", "name": "x", "config": {"url": "https://93.184.216.34/"}, "events": ["dm.sent"]},
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
        "ftp://93.184.216.34/",
    ],
)
def test_ssrf_targets_are_refused_at_creation(team, url):
    response = team["owner"].post(
        f"/integrations/workspace/{team['ws']}",
        json={"kind": "webhook", "name": "Evil", "config": {"url": url}, "events": ["lead.created"]},
    )
    assert response.status_code == 422
    assert "config.url" in response.get_json()["error"]["fields"]


def test_delivery_log_filters_and_keyset_pages(app, team, webhook_receiver):
    with app.app_context():
        account = make_account(team["ws"])
        for _ in range(3):
            leads.create(team["ws"], make_target(account).id, actor=SYSTEM)
        engine.dispatch_pending()
    owner, hook = team["owner"], team["hook"]["id"]
    first = owner.get(f"/integrations/{hook}/deliveries?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = owner.get(f"/integrations/{hook}/deliveries?limit=2&cursor={first['next_cursor']}").get_json()
    ids = [d["id"] for d in first["items"] + second["items"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    item = first["items"][0]
    assert item["status"] == "succeeded" and item["attempts"] == 1 and item["response_code"] == 204
    assert item["event_type"] == "lead.created" and item["event_id"] in webhook_receiver.unique
    assert owner.get(f"/integrations/{hook}/deliveries?status=failed").get_json()["items"] == []
    assert owner.get(f"/integrations/{hook}/deliveries?event_type=dm.sent").get_json()["items"] == []
    assert owner.get(f"/integrations/{hook}/deliveries?status=lost").status_code == 422


def test_replay_refuses_unfinished_deliveries(app, team):
    with app.app_context():
        account = make_account(team["ws"])
        leads.create(team["ws"], make_target(account).id, actor=SYSTEM)
        from core.models import OutboxEvent

        db.session.execute(text("UPDATE outbox_events SET dispatched_at = now()"))
        event = db.session.scalar(select(OutboxEvent).order_by(OutboxEvent.id.desc()))
        from core.models import Delivery

        row = Delivery(
            integration_id=team["hook"]["id"],
            outbox_event_id=event.id,
            workspace_id=team["ws"],
            event_type=event.type,
            status="in_progress",
            attempts=1,
        )
        db.session.add(row)
        db.session.commit()
        delivery_id = row.id
    assert team["owner"].post(f"/integrations/deliveries/{delivery_id}/replay").status_code == 409


def test_every_route_hides_other_workspaces(team):
    owner, foreign = team["owner"], team["foreign"]
    assert owner.get(f"/integrations/workspace/{team['other']}").status_code == 404
    assert (
        owner.post(
            f"/integrations/workspace/{team['other']}",
            json={"kind": "webhook", "name": "x", "config": {"url": "https://93.184.216.34/"}, "events": ["dm.sent"]},
        ).status_code
        == 404
    )
    assert owner.get(f"/integrations/{foreign}").status_code == 404
    assert owner.patch(f"/integrations/{foreign}", json={"name": "mine"}).status_code == 404
    assert owner.delete(f"/integrations/{foreign}").status_code == 404
    assert owner.post(f"/integrations/{foreign}/test").status_code == 404
    assert owner.get(f"/integrations/{foreign}/deliveries").status_code == 404
    assert owner.post(f"/integrations/deliveries/{team['foreign_delivery']}/replay").status_code == 404
    assert owner.get("/integrations/999999").status_code == 404
    assert team["stranger"].get(f"/integrations/{foreign}").status_code == 200  # it does exist


def test_unknown_kind_fields_and_auth(team, client):
    owner = team["owner"]
    bad = owner.post(
        f"/integrations/workspace/{team['ws']}",
        json={"kind": "zapier", "name": "x", "config": {}, "events": ["dm.sent"], "extra": 1},
    )
    assert bad.status_code == 422 and {"kind", "extra"} <= set(bad.get_json()["error"]["fields"])
    assert client.get(f"/integrations/workspace/{team['ws']}").status_code == 401


class TestWithoutTheLoopbackSetting:
    @pytest.fixture
    def app_config(self):
        return {"INTEGRATIONS_ALLOW_PRIVATE_TARGETS": False}

    def test_loopback_and_localhost_are_refused(self, factory):
        owner = factory.user()
        workspace = factory.workspace(owner)
        for url in ("http://127.0.0.1:8080/hook", "http://localhost:8080/hook"):
            response = owner.post(
                f"/integrations/workspace/{workspace['id']}",
                json={"kind": "webhook", "name": "Local", "config": {"url": url}, "events": ["lead.created"]},
            )
            assert response.status_code == 422, url
