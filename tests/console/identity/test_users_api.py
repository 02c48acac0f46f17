"""/users/me: profile, password change, account deletion and personal API tokens."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.conftest import DEFAULT_PASSWORD, Console

NEW_PASSWORD = "another-long-passphrase"


def test_profile_read_and_update(factory):
    user = factory.user(name="Ann")
    body = user.get("/users/me").get_json()
    assert body["name"] == "Ann" and body["time_zone"] == "UTC"
    assert body["notifications"] == {"email_digest": True, "digest_hour": 8, "hot_target_alerts": True}
    assert "password_hash" not in json.dumps(body)

    response = user.patch(
        "/users/me", json={"name": "Ann B", "time_zone": "Europe/Paris", "notifications": {"email_digest": False}}
    )
    assert response.status_code == 200, response.get_json()
    body = user.get("/users/me").get_json()
    assert body["name"] == "Ann B" and body["time_zone"] == "Europe/Paris"
    assert body["notifications"] == {"email_digest": False, "digest_hour": 8, "hot_target_alerts": True}


def test_profile_update_names_every_bad_field(factory):
    user = factory.user()
    response = user.patch("/users/me", json={"name": "", "time_zone": "Mars/Olympus"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"name", "time_zone"}
    response = user.patch("/users/me", json={"notifications": {"carrier_pigeon": True}})
    assert response.status_code == 422
    assert "notifications.carrier_pigeon" in response.get_json()["error"]["fields"]
    response = user.patch("/users/me", json={"email": "x@example.com"})
    assert response.status_code == 422 and "email" in response.get_json()["error"]["fields"]


def test_password_change_ends_other_jwts_and_console_sessions(app, api, factory):
    user = factory.user()
    old_token = user.token
    other_login = api.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD})
    other_token = other_login.get_json()["access_token"]
    browser = Console(app.test_client())
    assert browser.login(user.email).status_code == 302
    assert browser.get("/w/new").status_code == 200

    response = user.post(
        "/users/me/password", json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.get_json()
    fresh = response.get_json()["access_token"]

    for stale in (old_token, other_token):
        answer = api.as_user(stale).get("/users/me")
        assert answer.status_code == 401
        assert "log in again" in answer.get_json()["error"]["message"]
    assert api.as_user(fresh).get("/users/me").status_code == 200
    # The other browser's session is over: it is sent back to the login page.
    answer = browser.get("/w/new")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert api.post("/auth/login", json={"email": user.email, "password": NEW_PASSWORD}).status_code == 200
    assert api.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 401


def test_password_change_needs_the_current_password(factory):
    user = factory.user()
    response = user.post(
        "/users/me/password", json={"current_password": "wrong-password!", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"current_password"}
    response = user.post("/users/me/password", json={"current_password": DEFAULT_PASSWORD, "new_password": "short"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"new_password"}
    response = user.post("/users/me/password", json={"new_password": NEW_PASSWORD})
    assert response.status_code == 422 and "current_password" in response.get_json()["error"]["fields"]
    assert user.get("/users/me").status_code == 200  # nothing changed


def test_guessing_the_current_password_is_throttled(factory):
    user = factory.user()
    for _ in range(5):
        user.post("/users/me/password", json={"current_password": "wrong-password!", "new_password": NEW_PASSWORD})
    response = user.post(
        "/users/me/password", json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_delete_refused_for_last_owner_naming_the_workspaces(factory):
    owner = factory.user()
    factory.workspace(owner, "Acme")
    factory.workspace(owner, "Globex")
    response = owner.delete("/users/me", json={"password": DEFAULT_PASSWORD})
    assert response.status_code == 409
    message = response.get_json()["error"]["message"]
    assert "Acme" in message and "Globex" in message
    assert owner.get("/users/me").status_code == 200


def test_delete_needs_the_password(factory):
    user = factory.user()
    response = user.delete("/users/me", json={"password": "wrong-password!"})
    assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == {"password"}
    assert user.get("/users/me").status_code == 200


def test_delete_removes_user_and_leaves_a_tombstone_in_the_audit_log(app, api, factory):
    from core.db import db
    from core.models import AuditEntry, Membership, User

    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    leaving = factory.member(owner, workspace["id"], role="owner")
    leaving.patch("/users/me", json={"name": "Leaving Soon"})
    leaving_id = leaving.user["id"]

    response = leaving.delete("/users/me", json={"password": DEFAULT_PASSWORD})
    assert response.status_code == 204, response.get_json()
    assert api.post("/auth/login", json={"email": leaving.email, "password": DEFAULT_PASSWORD}).status_code == 401
    assert leaving.get("/users/me").status_code == 401

    with app.app_context():
        assert db.session.get(User, leaving_id) is None
        assert db.session.scalar(select(Membership).where(Membership.user_id == leaving_id)) is None
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "user", AuditEntry.subject_id == str(leaving_id))
        ).all()
        by_action = {e.action: e for e in entries}
        assert {"user.registered", "user.profile_updated", "user.deleted"} <= set(by_action)
        for action in ("user.registered", "user.profile_updated", "user.deleted"):
            assert by_action[action].actor_user_id is None
            assert by_action[action].actor_label == f"deleted user #{leaving_id}"
        assert all(leaving.email not in e.actor_label for e in db.session.scalars(select(AuditEntry)))
    members = owner.get(f"/workspaces/{workspace['id']}/members").get_json()["items"]
    assert [m["user_id"] for m in members] == [owner.user["id"]]


def test_api_token_lifecycle(app, api, factory):
    from core.db import db
    from core.models import ApiToken

    user = factory.user()
    created = user.post("/users/me/tokens", json={"name": "CI script"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    secret = body["secret"]
    assert secret.startswith("vf_") and body["prefix"] == secret[:10] and body["last_used_at"] is None

    listed = user.get("/users/me/tokens").get_json()
    assert [t["name"] for t in listed["items"]] == ["CI script"]
    assert secret not in json.dumps(listed) and "secret" not in listed["items"][0]
    with app.app_context():
        stored = db.session.get(ApiToken, body["id"])
        assert secret not in (stored.token_hash, stored.prefix)

    script = api.as_user(secret)
    assert script.get("/users/me").get_json()["email"] == user.email
    listed = user.get("/users/me/tokens").get_json()["items"][0]
    assert listed["last_used_at"] is not None and listed["revoked"] is False

    assert user.delete(f"/users/me/tokens/{body['id']}").status_code == 204
    answer = script.get("/users/me")
    assert answer.status_code == 401 and "revoked" in answer.get_json()["error"]["message"]
    assert user.get("/users/me/tokens").get_json()["items"][0]["revoked"] is True


def test_another_users_token_is_404(factory):
    ann, bob = factory.user(), factory.user()
    token_id = ann.post("/users/me/tokens", json={"name": "mine"}).get_json()["id"]
    assert bob.delete(f"/users/me/tokens/{token_id}").status_code == 404
    assert bob.delete("/users/me/tokens/999999").status_code == 404
    assert bob.get("/users/me/tokens").get_json()["items"] == []
    assert ann.get("/users/me/tokens").get_json()["items"][0]["revoked"] is False


def test_token_name_is_validated(factory):
    user = factory.user()
    response = user.post("/users/me/tokens", json={"name": "  "})
    assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == {"name"}


def test_users_me_needs_credentials(api):
    for method, path in (
        ("GET", "/users/me"),
        ("PATCH", "/users/me"),
        ("GET", "/users/me/tokens"),
        ("POST", "/users/me/password"),
        ("DELETE", "/users/me"),
    ):
        assert api.request(method, path, json={}).status_code == 401
