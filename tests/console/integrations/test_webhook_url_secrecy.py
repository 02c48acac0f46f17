"""A webhook URL can be a credential (Slack/Zapier hooks carry their secret in the path): owners and admins
see it whole, members see only where it goes, and the audit log keeps only the host."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from tests.conftest import Console

HOOK_SECRET = "SeCrEtHoOkPaTh77"


@pytest.fixture
def app_config():
    return {"INTEGRATIONS_ALLOW_PRIVATE_TARGETS": True}


@pytest.fixture
def hook(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(owner, workspace["id"])
    admin = factory.member(owner, workspace["id"], role="admin")
    created = owner.post(
        f"/integrations/workspace/{workspace['id']}",
        json={
            "kind": "webhook",
            "name": "Zap",
            "config": {"url": f"http://127.0.0.1:9/hooks/T0/B0/{HOOK_SECRET}"},
            "events": ["lead.created"],
        },
    )
    assert created.status_code == 201, created.get_json()
    return {"owner": owner, "member": member, "admin": admin, "ws": workspace["id"], "id": created.get_json()["id"]}


def test_members_see_only_the_host_of_a_webhook_url(app, hook):
    ws, hook_id = hook["ws"], hook["id"]
    for path in (f"/integrations/workspace/{ws}", f"/integrations/{hook_id}"):
        answer = hook["member"].get(path)
        assert answer.status_code == 200
        assert HOOK_SECRET not in answer.get_data(as_text=True) and "127.0.0.1:9" in answer.get_data(as_text=True)
    for manager in (hook["owner"], hook["admin"]):
        assert manager.get(f"/integrations/{hook_id}").get_json()["config"]["url"].endswith(HOOK_SECRET)


def test_member_console_pages_do_not_show_the_url_path(app, hook):
    browser = app.test_client()
    Console(browser).login(hook["member"].email)
    ws, hook_id = hook["ws"], hook["id"]
    for page in (f"/w/{ws}/integrations", f"/w/{ws}/integrations/{hook_id}"):
        html = browser.get(page).get_data(as_text=True)
        assert "127.0.0.1:9" in html and HOOK_SECRET not in html, page


def test_the_audit_log_keeps_only_the_host(app, hook):
    changed = hook["owner"].patch(
        f"/integrations/{hook['id']}", json={"config": {"url": f"http://127.0.0.1:9/hooks/new/{HOOK_SECRET}x"}}
    )
    assert changed.status_code == 200, changed.get_json()
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("integration.%"))))
        assert {e.action for e in entries} == {"integration.created", "integration.updated"}
        assert all(HOOK_SECRET not in str(e.details) for e in entries), [e.details for e in entries]
        assert all("127.0.0.1" in str(e.details) for e in entries)
