"""/workspaces: creation, settings, members, roles, and isolation between workspaces."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def owner(factory):
    return factory.user(name="Olivia Owner")


@pytest.fixture
def workspace(factory, owner):
    return factory.workspace(owner, "Acme", "Europe/Paris")


def test_create_makes_caller_owner_with_default_settings(owner, workspace):
    assert workspace["role"] == "owner"
    assert workspace["time_zone"] == "Europe/Paris"
    assert workspace["settings"]["default_daily_dm_quota"] == 50
    listed = owner.get("/workspaces").get_json()
    assert [w["id"] for w in listed["items"]] == [workspace["id"]]


def test_create_validates_name_and_time_zone(owner):
    response = owner.post("/workspaces", json={"name": " ", "time_zone": "Mars/Olympus"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"name", "time_zone"}
    assert owner.get("/workspaces").get_json()["items"] == []


def test_list_is_keyset_paginated(owner, factory):
    ids = [factory.workspace(owner, f"W{i}")["id"] for i in range(5)]
    first = owner.get("/workspaces?limit=2").get_json()
    assert [w["id"] for w in first["items"]] == ids[:2] and first["next_cursor"]
    second = owner.get(f"/workspaces?limit=2&cursor={first['next_cursor']}").get_json()
    third = owner.get(f"/workspaces?limit=2&cursor={second['next_cursor']}").get_json()
    assert [w["id"] for w in second["items"] + third["items"]] == ids[2:]
    assert third["next_cursor"] is None


@pytest.mark.parametrize(
    "query, field", [("limit=0", "limit"), ("limit=abc", "limit"), ("cursor=%%%", "cursor"), ("colour=red", "colour")]
)
def test_bad_pagination_input_names_the_field(owner, query, field):
    response = owner.get(f"/workspaces?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_patch_settings_validates_and_merges(owner, workspace):
    wid = workspace["id"]
    bad = owner.patch(f"/workspaces/{wid}", json={"settings": {"default_daily_dm_quota": 0, "nope": 1}})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"settings.default_daily_dm_quota", "settings.nope"}
    ok = owner.patch(f"/workspaces/{wid}", json={"name": "Acme Sales", "settings": {"default_daily_dm_quota": 20}})
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["name"] == "Acme Sales"
    assert body["settings"]["default_daily_dm_quota"] == 20
    assert body["settings"]["collection_look_back_days"] == 30


def test_half_bad_patch_writes_nothing(owner, workspace):
    wid = workspace["id"]
    response = owner.patch(f"/workspaces/{wid}", json={"name": "Renamed", "time_zone": "Nowhere/City"})
    assert response.status_code == 422
    assert owner.get(f"/workspaces/{wid}").get_json()["name"] == "Acme"


def test_members_lifecycle_and_roles(factory, owner, workspace):
    wid = workspace["id"]
    member = factory.member(owner, wid, "member")
    members = owner.get(f"/workspaces/{wid}/members").get_json()["items"]
    assert {(m["email"], m["role"]) for m in members} == {(owner.email, "owner"), (member.email, "member")}

    # A member can read but not manage.
    assert member.get(f"/workspaces/{wid}").status_code == 200
    assert member.patch(f"/workspaces/{wid}", json={"name": "Mine"}).status_code == 403
    assert member.post(f"/workspaces/{wid}/invitations", json={"email": "x@example.com"}).status_code == 403

    promoted = owner.patch(f"/workspaces/{wid}/members/{member.user['id']}", json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "admin"
    # Admins manage members but cannot mint owners.
    third = factory.user()
    refused = member.post(f"/workspaces/{wid}/invitations", json={"email": third.email, "role": "owner"})
    assert refused.status_code == 422 and "role" in refused.get_json()["error"]["fields"]
    invited = member.post(f"/workspaces/{wid}/invitations", json={"email": third.email})
    assert invited.status_code == 202
    token = invited.get_json()["invite_url"].rsplit("/", 1)[1]
    assert third.post("/invitations/accept", json={"token": token}).status_code == 200

    assert owner.delete(f"/workspaces/{wid}/members/{third.user['id']}").status_code == 204
    assert third.get(f"/workspaces/{wid}").status_code == 404


def test_invitation_errors(factory, owner, workspace):
    wid = workspace["id"]
    malformed = owner.post(f"/workspaces/{wid}/invitations", json={"email": "ghost-at-example.com"})
    assert malformed.status_code == 422 and "email" in malformed.get_json()["error"]["fields"]
    bad_role = owner.post(f"/workspaces/{wid}/invitations", json={"email": "x@example.com", "role": "king"})
    assert bad_role.status_code == 422 and "role" in bad_role.get_json()["error"]["fields"]
    again = owner.post(f"/workspaces/{wid}/invitations", json={"email": owner.email})
    assert again.status_code == 409


def test_last_owner_cannot_be_removed_or_demoted(factory, owner, workspace):
    wid, uid = workspace["id"], owner.user["id"]
    assert owner.patch(f"/workspaces/{wid}/members/{uid}", json={"role": "admin"}).status_code == 409
    assert owner.delete(f"/workspaces/{wid}/members/{uid}").status_code == 409
    second = factory.member(owner, wid, "owner")
    assert owner.patch(f"/workspaces/{wid}/members/{uid}", json={"role": "admin"}).status_code == 200
    assert second.delete(f"/workspaces/{wid}/members/{second.user['id']}").status_code == 409


def test_audit_log_records_door_and_actor(app_ctx, owner, workspace):
    from sqlalchemy import select

    from core.db import db
    from core.models import AuditEntry

    owner.patch(f"/workspaces/{workspace['id']}", json={"name": "Renamed"})
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.workspace_id == workspace["id"])).all()
    actions = {(e.action, e.door, e.actor_label) for e in entries}
    assert ("workspace.created", "api", owner.email) in actions
    assert ("workspace.updated", "api", owner.email) in actions


WORKSPACE_ROUTES = [
    ("GET", "/workspaces/{wid}", None),
    ("PATCH", "/workspaces/{wid}", {"name": "Stolen"}),
    ("GET", "/workspaces/{wid}/members", None),
    ("POST", "/workspaces/{wid}/invitations", {"email": "{email}"}),
    ("GET", "/workspaces/{wid}/invitations", None),
    ("PATCH", "/workspaces/{wid}/members/{uid}", {"role": "member"}),
    ("DELETE", "/workspaces/{wid}/members/{uid}", None),
]


@pytest.mark.parametrize("method, path, body", WORKSPACE_ROUTES)
def test_foreign_workspace_is_404_like_a_missing_one(factory, owner, workspace, method, path, body):
    outsider = factory.user()
    factory.workspace(outsider, "Other")
    fill = {"wid": workspace["id"], "uid": owner.user["id"], "email": outsider.email}
    payload = {k: v.format(**fill) if isinstance(v, str) else v for k, v in (body or {}).items()} or None
    foreign = outsider.request(method, path.format(**fill), json=payload)
    missing = outsider.request(method, path.format(**(fill | {"wid": 999999})), json=payload)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()
    anonymous = outsider.as_user(None).request(method, path.format(**fill), json=payload)
    assert anonymous.status_code == 401
    assert owner.get(f"/workspaces/{workspace['id']}").get_json()["name"] == "Acme"


def test_openapi_document_describes_every_api_route(client, app):
    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/workspaces/{workspace_id}/members/{user_id}" in doc["paths"]
    login = doc["paths"]["/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/LoginIn")
    assert "429" in login["responses"]
    html = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_unknown_route_and_method_answer_json(client):
    assert client.get("/definitely/not/here").get_json()["error"]["code"] == "not_found"
    response = client.delete("/auth/login")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_default_template_must_belong_to_the_workspace(app, factory, owner, workspace):
    from core.db import db
    from core.models import DmTemplate

    other_owner = factory.user()
    other = factory.workspace(other_owner, "Other")
    with app.app_context():
        foreign = DmTemplate(workspace_id=other["id"], name="Theirs", body="hi {{username}}")
        mine = DmTemplate(workspace_id=workspace["id"], name="Mine", body="hello {{username}}")
        db.session.add_all([foreign, mine])
        db.session.commit()
        foreign_id, mine_id = foreign.id, mine.id
    wid = workspace["id"]
    refused = owner.patch(f"/workspaces/{wid}", json={"settings": {"default_template_id": foreign_id}})
    assert refused.status_code == 422
    assert "settings.default_template_id" in refused.get_json()["error"]["fields"]
    accepted = owner.patch(f"/workspaces/{wid}", json={"settings": {"default_template_id": mine_id}})
    assert accepted.status_code == 200 and accepted.get_json()["settings"]["default_template_id"] == mine_id


def test_finding_4_inviting_answers_the_same_for_known_and_unknown_addresses(app, factory, owner, workspace):
    wid = workspace["id"]
    known = factory.user(name="Grace Hopper")
    answers = [
        owner.post(f"/workspaces/{wid}/invitations", json={"email": email, "role": "member"})
        for email in (known.email, "ghost@example.com")
    ]
    assert [a.status_code for a in answers] == [202, 202]
    bodies = [a.get_json() for a in answers]
    assert set(bodies[0]) == set(bodies[1])
    assert bodies[0]["message"].replace(known.email, "X") == bodies[1]["message"].replace("ghost@example.com", "X")
    assert "Grace" not in json.dumps(bodies)  # the answer never names the person
    # Nobody is added unasked: the members list is unchanged, the invitations list shows addresses only.
    emails = [m["email"] for m in owner.get(f"/workspaces/{wid}/members").get_json()["items"]]
    assert emails == [owner.email]
    pending = owner.get(f"/workspaces/{wid}/invitations").get_json()["items"]
    assert {i["email"] for i in pending} == {known.email, "ghost@example.com"}
    assert "Grace" not in json.dumps(pending)
    assert known.get(f"/workspaces/{wid}").status_code == 404  # not a member until they accept


def test_finding_4_inviting_is_throttled_per_admin(app, factory, owner, workspace):
    wid = workspace["id"]
    codes = [
        owner.post(f"/workspaces/{wid}/invitations", json={"email": f"probe-{n}@example.com"}).status_code
        for n in range(30)
    ]
    assert codes == [202] * 30
    refused = owner.post(f"/workspaces/{wid}/invitations", json={"email": "probe-x@example.com"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_finding_4_sign_up_with_known_addresses_is_throttled_per_ip(app, factory):
    known = [factory.user().email for _ in range(3)]
    app.config["REGISTER_MAX_TAKEN_PER_IP"] = 2
    client = app.test_client()
    signup = {"password": "ochre-lantern-walrus", "name": "Probe"}

    def register(email: str, ip: str):
        return client.post("/auth/register", json={"email": email, **signup}, environ_base={"REMOTE_ADDR": ip})

    assert [register(email, "2001:db8::1").status_code for email in known[:2]] == [409, 409]
    # The third probe is refused before the address is even looked at, known or not, from anywhere
    # in the same IPv6 /64 (one host owns all of it).
    for email, ip in ((known[2], "2001:db8::1"), ("fresh@example.com", "2001:db8::beef")):
        answer = register(email, ip)
        assert answer.status_code == 429 and answer.get_json()["error"]["code"] == "too_many_requests"
    assert register("fresh@example.com", "2001:db8:1::1").status_code == 201


def test_finding_4_a_new_admin_does_not_restart_the_workspaces_count(app, factory, owner, workspace):
    wid = workspace["id"]
    admin = factory.member(owner, wid, role="admin")  # the owner's first invitation
    for n in range(29):
        invited = owner.post(f"/workspaces/{wid}/invitations", json={"email": f"probe-{n}@example.com"})
        assert invited.status_code == 202
    assert admin.post(f"/workspaces/{wid}/invitations", json={"email": "probe-x@example.com"}).status_code == 429
