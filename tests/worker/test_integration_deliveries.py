"""Outbox -> deliveries -> signed webhooks: success, retries, Retry-After, 410, ordering, crash, replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.db import db, utcnow
from core.integrations import delivery as engine
from core.models import Delivery, Integration, Lead, OutboxEvent
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.emulators.integration_fixtures import *  # noqa: F403
from tests.emulators.server import Reply

SYSTEM = Actor.system("test")
ALL_EVENTS = ["lead.created", "lead.status_changed", "target.hot", "dm.sent", "dm.replied", "account.needs_reconnect"]


@pytest.fixture
def team(acme_team, webhook_receiver):
    team = acme_team(name="Acme Sales", fans=3, base_score=40)
    response = team["owner"].post(
        f"/integrations/workspace/{team['ws']}",
        json={
            "kind": "webhook",
            "name": "CRM",
            "config": {"url": webhook_receiver.url + "/hooks"},
            "events": ALL_EVENTS,
        },
    )
    assert response.status_code == 201, response.get_json()
    webhook_receiver.secret = response.get_json()["signing_secret"]
    return team | {"integration": response.get_json()["id"]}


def deliveries(app, integration_id: int) -> list[Delivery]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(Delivery).where(Delivery.integration_id == integration_id).order_by(Delivery.id))
        )
        db.session.expunge_all()
        return rows


def make_due(app) -> None:
    with app.app_context():
        db.session.execute(update(Delivery).where(Delivery.status == "pending").values(next_attempt_at=utcnow()))
        db.session.commit()


def sweep(app) -> dict:
    with app.app_context():
        return engine.sweep()


def test_a_lead_created_through_the_api_reaches_the_webhook_signed_and_enriched(app, team, webhook_receiver):
    # buffered: the test client closes the response as a WSGI server does once it has sent it.
    response = team["owner"].post(
        f"/leads/workspace/{team['ws']}", json={"targetId": team["targets"][0]}, buffered=True
    )
    assert response.status_code == 201, response.get_json()
    lead_id = response.get_json()["id"]

    # No Redis: the request's kick dispatched and delivered in-process once the response was sent.
    assert len(webhook_receiver.received) == 1 and not webhook_receiver.rejected
    envelope = webhook_receiver.received[0]
    assert envelope["type"] == "lead.created"
    assert envelope["workspace"]["name"] == "Acme Sales" and envelope["workspace"]["slug"]
    lead = envelope["data"]["lead"]
    assert lead["id"] == lead_id and lead["status"] == "new" and lead["username"] == "fan_0"
    assert lead["profile_url"] == "https://www.instagram.com/fan_0/" and lead["score"] == 40
    call = webhook_receiver.calls("POST")[0]
    assert call.path == "/hooks" and call.headers["webhook-id"] == envelope["id"]
    assert call.headers["webhook-signature"].startswith("v1,")
    [row] = deliveries(app, team["integration"])
    assert (row.status, row.attempts, row.response_code) == ("succeeded", 1, 204), row.last_error
    assert row.delivered_at is not None


def test_a_500_is_retried_with_backoff_and_the_retry_keeps_the_webhook_id(app, team, webhook_receiver):
    webhook_receiver.add_fault(Reply(500, {"error": "boom"}))
    with app.app_context():
        leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
        engine.dispatch_pending()
    [row] = deliveries(app, team["integration"])
    assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
    assert "500" in row.last_error
    wait = (row.next_attempt_at - utcnow()).total_seconds()
    assert 40 <= wait <= 75  # 60 s +/- 20% jitter

    assert sweep(app)["queued"] == 0  # not due yet: nothing is sent early
    make_due(app)
    assert sweep(app)["queued"] == 1
    [row] = deliveries(app, team["integration"])
    assert (row.status, row.attempts, row.response_code, row.last_error) == ("succeeded", 2, 204, None)
    first, second = webhook_receiver.calls("POST")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert len(webhook_receiver.unique) == 1


def test_429_retry_after_is_honoured(app, team, webhook_receiver):
    webhook_receiver.add_fault(Reply(429, {"error": "slow down"}, headers={"Retry-After": "120"}))
    with app.app_context():
        leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
        engine.dispatch_pending()
    [row] = deliveries(app, team["integration"])
    assert (row.status, row.response_code) == ("pending", 429)
    assert 115 <= (row.next_attempt_at - utcnow()).total_seconds() <= 121


def test_410_disables_the_integration_and_holds_later_events(app, team, webhook_receiver):
    webhook_receiver.add_fault(Reply(410, {"error": "gone"}))
    with app.app_context():
        lead = leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
        engine.dispatch_pending()
        integration = db.session.get(Integration, team["integration"])
        assert integration.enabled is False and "410" in integration.disabled_reason
        leads.change_status(lead.id, "contacted", actor=SYSTEM)
        engine.sweep()
    [row] = deliveries(app, team["integration"])  # a disabled integration gets no new deliveries
    assert (row.status, row.response_code) == ("failed", 410)
    shown = team["owner"].get(f"/integrations/{team['integration']}").get_json()
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]


def test_after_eight_failures_a_delivery_is_failed_then_replay_delivers_it(app, team, webhook_receiver):
    webhook_receiver.add_fault(Reply(503), count=engine.MAX_ATTEMPTS)
    with app.app_context():
        leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
        engine.dispatch_pending()
    for _ in range(engine.MAX_ATTEMPTS - 1):
        make_due(app)
        sweep(app)
    [row] = deliveries(app, team["integration"])
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", engine.MAX_ATTEMPTS, None)
    assert not webhook_receiver.received

    listed = team["owner"].get(f"/integrations/{team['integration']}/deliveries?status=failed").get_json()
    assert [d["id"] for d in listed["items"]] == [row.id] and listed["items"][0]["response_code"] == 503
    response = team["owner"].post(f"/integrations/deliveries/{row.id}/replay")
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "succeeded"
    assert len(webhook_receiver.received) == 1
    again = team["owner"].post(f"/integrations/deliveries/{row.id}/replay")
    assert again.status_code == 202  # a delivered one may be sent again (same webhook-id: receivers dedupe)
    assert len(webhook_receiver.unique) == 1


def test_events_of_one_lead_arrive_in_order_even_when_the_first_is_retried(app, team, webhook_receiver):
    webhook_receiver.add_fault(Reply(500))
    with app.app_context():
        lead = leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
        leads.change_status(lead.id, "contacted", actor=SYSTEM)
        other = leads.create(team["ws"], team["targets"][1], actor=SYSTEM)
        lead, other = db.session.get(Lead, lead.id), db.session.get(Lead, other.id)
        db.session.expunge_all()  # keep the ids readable after the context
        engine.dispatch_pending()
    rows = deliveries(app, team["integration"])
    by_key = {(r.ordering_key, r.event_type): r for r in rows}
    assert by_key[(f"lead:{lead.id}", "lead.created")].status == "pending"  # failed once
    assert by_key[(f"lead:{lead.id}", "lead.status_changed")].attempts == 0  # waits behind it
    assert by_key[(f"lead:{other.id}", "lead.created")].status == "succeeded"  # another lead is not held up

    make_due(app)
    sweep(app)
    types = [(e["data"]["lead_id"], e["type"]) for e in webhook_receiver.received]
    assert types == [(other.id, "lead.created"), (lead.id, "lead.created"), (lead.id, "lead.status_changed")]
    assert {r.status for r in deliveries(app, team["integration"])} == {"succeeded"}


def test_an_event_committed_without_a_kick_is_delivered_by_the_sweep(app, team, webhook_receiver):
    # The change commits its outbox event, then the process dies before any dispatch.
    with app.app_context():
        lead_id = leads.create(team["ws"], team["targets"][2], actor=SYSTEM).id
        pending = db.session.scalar(select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)))
        assert pending is not None and not deliveries(app, team["integration"])
    result = sweep(app)
    assert result["dispatched_events"] >= 1
    assert [e["data"]["lead_id"] for e in webhook_receiver.received] == [lead_id]
    assert sweep(app)["dispatched_deliveries"] == 0  # dispatching twice adds nothing
    assert len(webhook_receiver.received) == 1


def test_a_stale_attempt_left_by_a_dead_worker_is_retried(app, team, webhook_receiver):
    with app.app_context():
        leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
        db.session.execute(update(OutboxEvent).values(dispatched_at=utcnow()))
        event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.type == "lead.created"))
        db.session.add(
            Delivery(
                integration_id=team["integration"],
                outbox_event_id=event.id,
                workspace_id=team["ws"],
                event_type=event.type,
                ordering_key=event.ordering_key,
                status="in_progress",
                attempts=1,
                updated_at=utcnow() - timedelta(hours=1),
            )
        )
        db.session.commit()
    assert sweep(app)["reclaimed"] == 1
    [row] = deliveries(app, team["integration"])
    assert (row.status, row.attempts) == ("succeeded", 2)
    assert len(webhook_receiver.received) == 1


def test_a_redirect_is_not_followed(app, team, webhook_receiver):
    webhook_receiver.add_fault(Reply(302, headers={"Location": "http://10.0.0.1/internal"}))
    with app.app_context():
        leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
        engine.dispatch_pending()
    [row] = deliveries(app, team["integration"])
    assert (row.status, row.response_code) == ("pending", 302)
    assert "redirects are not followed" in row.last_error
    assert len(webhook_receiver.calls()) == 1  # nothing went to the Location


def test_a_disabled_integration_holds_its_pending_deliveries_until_enabled(app, team, webhook_receiver):
    webhook_receiver.add_fault(Reply(500))
    with app.app_context():
        leads.create(team["ws"], team["targets"][0], actor=SYSTEM)
        engine.dispatch_pending()
    owner, hook = team["owner"], team["integration"]
    assert owner.patch(f"/integrations/{hook}", json={"enabled": False}).status_code == 200
    make_due(app)
    sweep(app)
    [row] = deliveries(app, hook)
    assert (row.status, row.attempts) == ("pending", 1) and not webhook_receiver.received
    assert owner.patch(f"/integrations/{hook}", json={"enabled": True}).get_json()["enabled"] is True
    [row] = deliveries(app, hook)
    assert (row.status, row.attempts) == ("succeeded", 2) and len(webhook_receiver.received) == 1


class TestWithRealWorkers:
    @pytest.fixture
    def app(self, redis_app):
        return redis_app

    def test_a_request_kicks_the_dispatcher_on_rq_and_a_worker_delivers(
        self, redis_app, team, webhook_receiver, start_worker
    ):
        from tests.conftest import wait_for

        response = team["owner"].post(f"/leads/workspace/{team['ws']}", json={"targetId": team["targets"][0]})
        assert response.status_code == 201
        assert not webhook_receiver.received  # queued on Redis, not run in the web process
        start_worker(INTEGRATIONS_ALLOW_PRIVATE_TARGETS="1")
        wait_for(lambda: webhook_receiver.received, timeout=30, message="the webhook delivery")
        envelope = webhook_receiver.received[0]
        assert envelope["type"] == "lead.created" and envelope["data"]["lead"]["id"] == response.get_json()["id"]
        wait_for(
            lambda: [d.status for d in deliveries(redis_app, team["integration"])] == ["succeeded"],
            message="the delivery marked succeeded",
        )
