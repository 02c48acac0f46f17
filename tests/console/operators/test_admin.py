"""/admin: the operator API, its isolation, and suspension of users and workspaces."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import DEFAULT_PASSWORD

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def make_admin(app, factory):
    admin = factory.user(name="Operator")
    result = app.test_cli_runner().invoke(args=["vistaflow", "promote", admin.email])
    assert result.exit_code == 0, result.output
    return admin


def admin_routes(app, values: dict[str, int]) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        path = _PARAM.sub(lambda m: str(values[m.group(1)]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_every_admin_route_is_404_for_owners_and_plain_users_and_401_anonymous(app, api, factory):
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    plain = factory.user()
    # Ids that exist and that the owner can see elsewhere: the answer must still be 404.
    routes = admin_routes(app, {"workspace_id": workspace["id"], "user_id": owner.user["id"]})
    assert len(routes) >= 8
    for method, path in routes:
        for caller in (owner, plain):
            # A malformed body and query must not turn the 404 into a 422 that reveals the route.
            response = caller.request(method, path + "?limit=0", json={"unexpected": True})
            assert response.status_code == 404, (method, path, response.get_json())
        assert api.request(method, path, json={}).status_code == 401, (method, path)
    assert owner.get(f"/workspaces/{workspace['id']}").get_json()["suspended"] is False


def test_operator_lists_and_searches_workspaces_with_pagination(app, factory):
    admin = make_admin(app, factory)
    owner = factory.user()
    ids = [factory.workspace(owner, name)["id"] for name in ("Acme One", "Globex", "Acme Two")]
    first = admin.get("/admin/workspaces?limit=2").get_json()
    assert [w["id"] for w in first["items"]] == [ids[2], ids[1]]
    second = admin.get(f"/admin/workspaces?limit=2&cursor={first['next_cursor']}").get_json()
    assert [w["id"] for w in second["items"]] == [ids[0]] and second["next_cursor"] is None
    assert first["items"][0]["members"] == 1
    found = admin.get("/admin/workspaces?q=acme").get_json()["items"]
    assert sorted(w["name"] for w in found) == ["Acme One", "Acme Two"]
    assert admin.get("/admin/workspaces?q=100%25").get_json()["items"] == []


def test_operator_lists_and_searches_users(app, factory):
    admin = make_admin(app, factory)
    factory.user(email="zed@example.org", name="Zed")
    found = admin.get("/admin/users?q=ZED@").get_json()["items"]
    assert [u["email"] for u in found] == ["zed@example.org"]
    page = admin.get("/admin/users?limit=1").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert admin.get("/admin/users?cursor=garbage").status_code == 422


def test_workspace_detail_shows_members_quota_and_failed_jobs(app, factory):
    from core import jobs

    admin = make_admin(app, factory)
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    member = factory.member(owner, workspace["id"])
    with app.app_context():
        from core.db import db
        from core.models import Delivery, Integration, OutboxEvent, SocialAccount

        integration = Integration(workspace_id=workspace["id"], kind="webhook", name="CRM hook")
        event = OutboxEvent(
            event_id="0f8fad5b-d9cb-469f-a165-70867728950e", workspace_id=workspace["id"], type="lead.created"
        )
        db.session.add_all([integration, event])
        db.session.flush()
        db.session.add(
            Delivery(
                integration_id=integration.id,
                outbox_event_id=event.id,
                workspace_id=workspace["id"],
                event_type="lead.created",
                status="failed",
                attempts=8,
                response_code=500,
                last_error="server error",
            )
        )
        db.session.add(
            SocialAccount(
                workspace_id=workspace["id"],
                platform="instagram",
                platform_user_id="1784",
                username="acme.shop",
                status="connected",
                daily_dm_quota=20,
            )
        )
        db.session.commit()
        failed = jobs.enqueue(
            "core.validation.clean_time_zone", "Mars/Olympus", kind="probe", workspace_id=workspace["id"]
        )
        failed_id = failed.id
    body = admin.get(f"/admin/workspaces/{workspace['id']}").get_json()
    assert body["name"] == "Acme" and body["members"] == 2 and body["suspended"] is False
    assert {(m["email"], m["role"]) for m in body["member_list"]} == {(owner.email, "owner"), (member.email, "member")}
    assert body["daily_dm_quota"] == 50
    [account] = body["social_accounts"]
    assert (account["handle"], account["platform"], account["status"]) == ("acme.shop", "instagram", "connected")
    assert (account["daily_dm_quota"], account["dms_sent_today"]) == (20, 0)
    assert body["dms_sent_today"] == 0
    assert [j["id"] for j in body["failed_jobs"]] == [failed_id]
    assert "Unknown time zone" in body["failed_jobs"][0]["error"]
    [delivery] = body["failed_deliveries"]
    assert (delivery["event_type"], delivery["attempts"], delivery["response_code"]) == ("lead.created", 8, 500)
    assert admin.get("/admin/workspaces/999999").status_code == 404


def test_user_detail_shows_workspaces_roles_and_last_login(app, api, factory):
    admin = make_admin(app, factory)
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    assert api.post("/auth/login", json={"email": owner.email, "password": DEFAULT_PASSWORD}).status_code == 200
    owner.post("/users/me/tokens", json={"name": "script"})
    body = admin.get(f"/admin/users/{owner.user['id']}").get_json()
    assert body["email"] == owner.email and body["last_login_at"] is not None
    assert body["workspaces"] == [
        {"id": workspace["id"], "name": "Acme", "slug": workspace["slug"], "role": "owner", "suspended": False}
    ]
    assert body["active_api_tokens"] == 1
    assert admin.get("/admin/users/999999").status_code == 404


def test_suspended_user_is_refused_everywhere_until_reactivated(app, api, factory, console):
    admin = make_admin(app, factory)
    user = factory.user()
    secret = user.post("/users/me/tokens", json={"name": "script"}).get_json()["secret"]
    old_jwt = user.token

    response = admin.post(f"/admin/users/{user.user['id']}/suspend", json={"reason": "abuse report"})
    assert response.status_code == 200 and response.get_json()["suspended"] is True

    login = api.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert login.status_code == 403 and "suspended" in login.get_json()["error"]["message"]
    for token in (old_jwt, secret):
        answer = api.as_user(token).get("/users/me")
        assert answer.status_code in (401, 403)
    answer = api.as_user(secret).get("/users/me")
    assert answer.status_code == 403 and "suspended" in answer.get_json()["error"]["message"]
    page = console.login(user.email)
    assert page.status_code == 403 and "suspended" in page.get_data(as_text=True)

    assert admin.post(f"/admin/users/{user.user['id']}/reactivate").get_json()["suspended"] is False
    assert api.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
    assert api.as_user(secret).get("/users/me").status_code == 200
    assert console.login(user.email).status_code == 302
    # Sessions issued before the suspension stay ended.
    assert api.as_user(old_jwt).get("/users/me").status_code == 401


def test_suspension_ends_an_open_console_session(app, factory, console):
    admin = make_admin(app, factory)
    user = factory.user()
    console.login(user.email)
    assert console.get("/w/new").status_code == 200
    admin.post(f"/admin/users/{user.user['id']}/suspend")
    answer = console.get("/w/new")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_operator_cannot_suspend_themselves(app, factory):
    admin = make_admin(app, factory)
    assert admin.post(f"/admin/users/{admin.user['id']}/suspend").status_code == 409
    assert admin.get("/admin/users").status_code == 200


def test_suspended_workspace_keeps_data_refuses_changes_and_jobs(app, factory):
    from core import jobs
    from core.errors import Forbidden
    from core.services.workspaces.status import active_workspace_ids

    admin = make_admin(app, factory)
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    other = factory.workspace(owner, "Globex")
    response = admin.post(f"/admin/workspaces/{workspace['id']}/suspend", json={})
    assert response.status_code == 200 and response.get_json()["suspended"] is True

    assert owner.get(f"/workspaces/{workspace['id']}").get_json()["suspended"] is True
    assert owner.patch(f"/workspaces/{workspace['id']}", json={"name": "Renamed"}).status_code == 403
    with app.app_context():
        assert active_workspace_ids() == [other["id"]]
        with pytest.raises(Forbidden, match="suspended"):
            jobs.enqueue("core.validation.clean_name", "x", kind="probe", workspace_id=workspace["id"])

    admin.post(f"/admin/workspaces/{workspace['id']}/reactivate")
    assert owner.patch(f"/workspaces/{workspace['id']}", json={"name": "Renamed"}).status_code == 200
    with app.app_context():
        assert active_workspace_ids() == [workspace["id"], other["id"]]


def test_operator_actions_are_audited_with_the_operator_identity(app, factory):
    from core.db import db
    from core.models import AuditEntry

    admin = make_admin(app, factory)
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    admin.post(f"/admin/users/{owner.user['id']}/suspend", json={"reason": "chargeback"})
    admin.post(f"/admin/users/{owner.user['id']}/suspend")  # idempotent: no second entry
    admin.post(f"/admin/users/{owner.user['id']}/reactivate")
    admin.post(f"/admin/workspaces/{workspace['id']}/suspend")
    admin.post(f"/admin/workspaces/{workspace['id']}/reactivate")
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("admin.%")).order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == [
            "admin.user_suspended",
            "admin.user_reactivated",
            "admin.workspace_suspended",
            "admin.workspace_reactivated",
        ]
        assert {(e.actor_user_id, e.actor_label, e.door) for e in entries} == {(admin.user["id"], admin.email, "api")}
        assert entries[0].details == {"reason": "chargeback"} and entries[0].subject_id == str(owner.user["id"])
        assert entries[2].workspace_id == workspace["id"]
