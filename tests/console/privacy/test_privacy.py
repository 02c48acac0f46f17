"""Privacy: erasing a person (API and console) and purging raw platform payloads after the retention period."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import (
    AuditEntry,
    ChatMessage,
    Delivery,
    DirectMessage,
    DoNotContact,
    IdempotencyRecord,
    Integration,
    Interaction,
    Lead,
    LeadEvent,
    LeadTag,
    OutboxEvent,
    Target,
    User,
    Workspace,
)
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.privacy import contact_policy
from core.services.privacy import erasure as privacy
from tests.factories import make_account, make_interaction, make_target

SYSTEM = Actor.system("test")
SECRET_WORDS = ("alice_private", "u-alice-77", "call me on 0612345678", "vip-customer", "her-secret-note")


@pytest.fixture
def world(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(owner, workspace["id"])
    other_owner = factory.user()
    other = factory.workspace(other_owner, name="Other")
    with app.app_context():
        account = make_account(workspace["id"])
        second = make_account(workspace["id"])
        target = make_target(account, username="alice_private", platform_user_id="u-alice-77")
        # The same person seen through the workspace's second account.
        twin = make_target(second, username="alice_private", platform_user_id="u-alice-77")
        make_interaction(target, text="call me on 0612345678", raw={"from": {"username": "alice_private"}})
        make_interaction(twin, kind="message", text="call me on 0612345678", raw={"id": "u-alice-77"})
        bystander = make_target(account, username="bob_stays")
        make_interaction(bystander, text="bob's comment", raw={"from": {"username": "bob_stays"}})
        db.session.flush()
        lead = leads.create(workspace["id"], target.id, actor=SYSTEM)
        leads.update(lead.id, actor=SYSTEM, notes="her-secret-note", tags=["vip-customer"])
        leads.change_status(lead.id, "contacted", actor=SYSTEM, note="her-secret-note")
        dm = DirectMessage(
            workspace_id=workspace["id"],
            social_account_id=account.id,
            target_id=target.id,
            kind="message",
            text="Hi alice_private, call me on 0612345678",
            status="sent",
        )
        db.session.add(dm)
        db.session.flush()
        # The stored first answer of `POST /dm/send` with an Idempotency-Key: the DM as the API showed it.
        owner_id = db.session.scalar(select(User.id).where(User.email == owner.email))
        db.session.add(
            IdempotencyRecord(
                user_id=owner_id,
                scope="dm.send",
                key="send-alice-1",
                request_hash="0" * 64,
                status_code=202,
                response={"id": dm.id, "target_id": target.id, "text": dm.text, "status": "approved"},
            )
        )
        db.session.add(
            IdempotencyRecord(
                user_id=owner_id,
                scope="dm.send",
                key="send-bob-1",
                request_hash="1" * 64,
                status_code=202,
                response={"id": 0, "target_id": bystander.id, "text": "Hi bob_stays", "status": "approved"},
            )
        )
        # A CRM webhook that failed on the lead's event and echoed the person back in its error.
        hook = Integration(
            workspace_id=workspace["id"],
            kind="webhook",
            name="CRM",
            config={"url": "http://127.0.0.1:9/hook"},
            events=["lead.created"],
            enabled=False,
            disabled_reason="HTTP 410: lead alice_private is gone",
        )
        db.session.add(hook)
        db.session.flush()
        lead_event = db.session.scalar(
            select(OutboxEvent).where(OutboxEvent.data["lead_id"].as_integer() == lead.id).limit(1)
        )
        db.session.add(
            Delivery(
                integration_id=hook.id,
                outbox_event_id=lead_event.id,
                workspace_id=workspace["id"],
                event_type=lead_event.type,
                status="failed",
                attempts=1,
                last_error="HTTP 422: {'username': 'alice_private', 'text': 'call me on 0612345678'}",
            )
        )
        db.session.add(
            ChatMessage(
                workspace_id=workspace["id"],
                provider="slack",
                chat_id="C1",
                kind="hot_target",
                event_key="evt-1",
                target_id=target.id,
                data={"username": "alice_private"},
            )
        )
        foreign = make_target(make_account(other["id"]), username="alice_private", platform_user_id="u-alice-77")
        make_interaction(foreign, text="call me on 0612345678", raw={"id": "u-alice-77"})
        db.session.commit()
        ids = {
            "target": target.id,
            "twin": twin.id,
            "lead": lead.id,
            "bystander": bystander.id,
            "foreign": foreign.id,
            "account": account.id,
        }
    return {
        "owner": owner,
        "member": member,
        "other_owner": other_owner,
        "ws": workspace["id"],
        "other": other["id"],
        **ids,
    }


def _dump_person(target_ids: list[int]) -> str:
    """Everything the database holds that hangs off these targets, as one string to search."""
    db.session.expire_all()
    rows: list = []
    rows += db.session.scalars(select(Target).where(Target.id.in_(target_ids))).all()
    rows += db.session.scalars(select(Interaction).where(Interaction.target_id.in_(target_ids))).all()
    rows += db.session.scalars(select(DirectMessage).where(DirectMessage.target_id.in_(target_ids))).all()
    rows += db.session.scalars(select(ChatMessage).where(ChatMessage.target_id.in_(target_ids))).all()
    lead_ids = list(db.session.scalars(select(Lead.id).where(Lead.target_id.in_(target_ids))))
    rows += db.session.scalars(select(Lead).where(Lead.id.in_(lead_ids))).all()
    rows += db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id.in_(lead_ids))).all()
    rows += db.session.scalars(select(LeadTag).where(LeadTag.lead_id.in_(lead_ids))).all()
    rows += db.session.scalars(select(OutboxEvent)).all()
    rows += db.session.scalars(select(AuditEntry)).all()
    rows += db.session.scalars(select(IdempotencyRecord)).all()
    rows += db.session.scalars(select(Delivery)).all()
    rows += db.session.scalars(select(Integration)).all()
    return json.dumps([{c.key: getattr(r, c.key) for c in r.__table__.columns} for r in rows], default=str)


def test_owner_erases_a_person_everywhere_and_keeps_them_blocked(app, world):
    with app.app_context():
        before = _dump_person([world["target"], world["twin"]])
        assert [w for w in SECRET_WORDS if w not in before] == []

    response = world["owner"].delete(f"/targets/{world['target']}/personal-data")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert sorted(body["target_ids"]) == sorted([world["target"], world["twin"]])
    assert body["interactions"] == 2 and body["direct_messages"] == 1 and body["leads"] == 1
    assert body["stored_answers"] == 1 and body["deliveries"] == 1
    assert body["newly_blocked"] is True

    with app.app_context():
        after = _dump_person([world["target"], world["twin"]])
        for word in SECRET_WORDS:
            assert word not in after, word
        target = db.session.get(Target, world["target"])
        assert target.username == "erased"
        # The platform id became the one-way hash the do-not-contact list holds.
        digest = contact_policy.person_hash(world["ws"], "instagram", "u-alice-77")
        assert target.platform_user_id == digest
        assert contact_policy.is_blocked(world["ws"], "instagram", "u-alice-77")
        assert db.session.scalar(select(DoNotContact).where(DoNotContact.person_hash == digest)).reason == "erased"
        # Interactions stay (counts, idempotency) without their content.
        kept = db.session.scalars(select(Interaction).where(Interaction.target_id == world["target"])).all()
        assert len(kept) == 1 and kept[0].text is None and kept[0].raw is None and kept[0].platform_id
        # Audited: who and when, not what.
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "target.personal_data_erased"))
        assert entry.actor_label == world["owner"].email and entry.subject_id == str(world["target"])
        assert "alice" not in json.dumps(entry.details)
        # The stored answer still replays (same shape, same status) without the text.
        stored = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "send-alice-1"))
        assert stored.status_code == 202 and stored.response["text"] == "[erased]"
        assert stored.response["target_id"] == world["target"]
        # Someone else, and the same person in another workspace, are untouched.
        bob = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "send-bob-1"))
        assert bob.response["text"] == "Hi bob_stays"
        bystander = db.session.get(Target, world["bystander"])
        assert bystander.username == "bob_stays"
        assert db.session.scalar(select(Interaction.raw).where(Interaction.target_id == world["bystander"]))
        foreign = db.session.get(Target, world["foreign"])
        assert foreign.username == "alice_private" and foreign.platform_user_id == "u-alice-77"
        assert not contact_policy.is_blocked(world["other"], "instagram", "u-alice-77")


def test_erasing_twice_is_harmless(app, world):
    assert world["owner"].delete(f"/targets/{world['target']}/personal-data").status_code == 200
    again = world["owner"].delete(f"/targets/{world['target']}/personal-data")
    assert again.status_code == 200
    assert again.get_json()["newly_blocked"] is False


def test_members_cannot_erase_and_other_workspaces_see_not_found(app, world, api):
    assert world["member"].delete(f"/targets/{world['target']}/personal-data").status_code == 403
    assert world["other_owner"].delete(f"/targets/{world['target']}/personal-data").status_code == 404
    assert world["owner"].delete("/targets/999999/personal-data").status_code == 404
    assert api.delete(f"/targets/{world['target']}/personal-data").status_code == 401
    with app.app_context():
        assert db.session.get(Target, world["target"]).username == "alice_private"


def test_console_erase_needs_confirmation_then_erases(app, client, console, world):
    console.login(world["owner"].email)
    page = f"/w/{world['ws']}/targets/{world['target']}/erase"
    assert page in console.get(f"/w/{world['ws']}/targets/{world['target']}").get_data(as_text=True)
    shown = console.get(page)
    assert shown.status_code == 200 and "cannot be undone" in shown.get_data(as_text=True)
    refused = console.post_form(page, {"confirm": "yes"})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(Target, world["target"]).username == "alice_private"
    done = console.post_form(page, {"confirm": "ERASE"})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Target, world["target"]).username == "erased"


def test_console_erase_of_another_workspaces_target_is_404(app, client, console, world):
    console.login(world["owner"].email)
    # Own workspace in the URL, foreign target: still not found.
    page = f"/w/{world['ws']}/targets/{world['foreign']}/erase"
    assert console.get(page).status_code == 404
    with app.app_context():
        assert db.session.get(Target, world["foreign"]).username == "alice_private"


def test_raw_payloads_older_than_the_retention_are_purged_per_workspace(app, world, runner):
    with app.app_context():
        old = utcnow() - timedelta(days=40)
        db.session.execute(
            Interaction.__table__.update().values(received_at=old)  # every interaction is 40 days old
        )
        fresh = make_interaction(db.session.get(Target, world["bystander"]), text="new", raw={"fresh": True})
        workspace = db.session.get(Workspace, world["ws"])
        workspace.settings = {**(workspace.settings or {}), "raw_payload_retention_days": 30}
        db.session.commit()

        from worker.entry import run_periodic_inline

        result = run_periodic_inline("purge-raw-payloads")
        assert result["purged"] == 3  # three old payloads in the 30-day workspace

        db.session.expire_all()
        ours = db.session.scalars(select(Interaction).where(Interaction.workspace_id == world["ws"])).all()
        assert [i.id for i in ours if i.raw is not None] == [fresh.id]
        # The other workspace keeps the 90-day default: its 40-day-old payload stays.
        theirs = db.session.scalars(select(Interaction).where(Interaction.workspace_id == world["other"])).all()
        assert theirs and all(i.raw is not None for i in theirs)
        assert privacy.purge_raw_payloads()["purged"] == 0


def test_retention_setting_is_validated(world):
    bad = world["owner"].patch(f"/workspaces/{world['ws']}", json={"settings": {"raw_payload_retention_days": 0}})
    assert bad.status_code == 422
    assert "settings.raw_payload_retention_days" in bad.get_json()["error"]["fields"]
    ok = world["owner"].patch(f"/workspaces/{world['ws']}", json={"settings": {"raw_payload_retention_days": 7}})
    assert ok.get_json()["settings"]["raw_payload_retention_days"] == 7


def test_console_settings_form_edits_the_retention_with_inline_errors(app, console, world):
    console.login(world["owner"].email)
    page = f"/w/{world['ws']}/settings"
    shown = console.get(page).get_data(as_text=True)
    assert 'name="raw_payload_retention_days"' in shown and 'value="90"' in shown  # the default
    form = {
        "name": "Acme",
        "time_zone": "UTC",
        "default_daily_dm_quota": "50",
        "collection_look_back_days": "30",
        "raw_payload_retention_days": "14",
    }
    saved = console.post_form(page, form, follow_redirects=True)
    assert saved.status_code == 200 and "Settings saved." in saved.get_data(as_text=True)
    assert 'id="f-raw_payload_retention_days" name="raw_payload_retention_days" type="number" value="14"' in (
        saved.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(Workspace, world["ws"]).settings["raw_payload_retention_days"] == 14

    for bad_value in ("0", "3651", "soon"):
        bad = console.post_form(page, form | {"raw_payload_retention_days": bad_value})
        html = bad.get_data(as_text=True)
        assert bad.status_code == 422, bad_value
        # The error sits under the field, which keeps what was typed.
        assert f'name="raw_payload_retention_days" type="number" value="{bad_value}"' in html
        assert 'aria-describedby="e-raw_payload_retention_days"' in html
        assert '<small class="error" id="e-raw_payload_retention_days">' in html
        with app.app_context():
            assert db.session.get(Workspace, world["ws"]).settings["raw_payload_retention_days"] == 14


def test_purge_job_is_scheduled_daily():
    from worker.schedule import PERIODIC_JOBS

    spec = next(job for job in PERIODIC_JOBS if job["id"] == "purge-raw-payloads")
    assert spec["func"] == "worker.jobs.privacy.purge_raw_payloads" and spec["queue"] == "bulk"
    assert spec["cron"].split()[2:] == ["*", "*", "*"]
