"""The HTML console through the Flask client: CSRF, cookie flags, safe redirects, isolation, roles."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from tests.conftest import DEFAULT_PASSWORD, Console, csrf_from


def set_cookie(response, name: str) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def flash_errors(html: str) -> list[str]:
    return re.findall(r'<div class="flash flash-error"[^>]*>([^<]*)</div>', html)


def console_for(app, user) -> Console:
    """A separate browser (its own cookie jar) logged in as `user`."""
    console = Console(app.test_client())
    response = console.login(user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return console


@pytest.fixture
def owner_setup(app, factory):
    owner = factory.user(name="Olive Owner")
    workspace = factory.workspace(owner, name="Acme")
    return owner, workspace, console_for(app, owner)


# ------------------------------------------------------------------ CSRF


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, factory, owner_setup):
    owner, workspace, console = owner_setup
    other = factory.user()
    wid = workspace["id"]
    attempts = [
        (f"/w/{wid}/settings", {"name": "Hijacked", "time_zone": "UTC", "default_daily_dm_quota": "999"}),
        (f"/w/{wid}/members", {"email": other.email, "role": "admin"}),
        (f"/w/{wid}/members/{owner.user['id']}/remove", {}),
        ("/w/new", {"name": "Sneaky", "time_zone": "UTC"}),
        ("/logout", {}),
    ]
    for path, data in attempts:
        response = console.client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Bad request" in response.get_data(as_text=True)
        # A forged token is no better than none.
        response = console.client.post(path, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, path

    body = owner.get(f"/workspaces/{wid}").get_json()
    assert body["name"] == "Acme"
    assert body["settings"]["default_daily_dm_quota"] == 50
    members = owner.get(f"/workspaces/{wid}/members").get_json()["items"]
    assert [m["email"] for m in members] == [owner.email]
    assert [w["name"] for w in owner.get("/workspaces").get_json()["items"]] == ["Acme"]
    assert console.get(f"/w/{wid}").status_code == 200  # still logged in: /logout was refused too

    # The same request with the page's token goes through.
    response = console.post_form(
        f"/w/{wid}/settings",
        {"name": "Acme Sales", "time_zone": "UTC", "default_daily_dm_quota": "60", "collection_look_back_days": "30"},
    )
    assert response.status_code == 302
    assert owner.get(f"/workspaces/{wid}").get_json()["name"] == "Acme Sales"


def test_login_and_signup_forms_need_the_token(client, factory):
    user = factory.user()
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert client.get("/w/new").status_code == 302  # not logged in
    response = client.post("/signup", data={"email": "new@example.com", "password": DEFAULT_PASSWORD, "name": "N"})
    assert response.status_code == 400
    assert (
        client.post("/auth/login", json={"email": "new@example.com", "password": DEFAULT_PASSWORD}).status_code == 401
    )


# ------------------------------------------------------------------ cookies


def test_session_cookie_is_httponly_and_samesite_lax(console, factory):
    user = factory.user()
    response = console.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD, "remember": "on"})
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        cookie = set_cookie(response, name)
        assert "HttpOnly" in cookie, cookie
        assert "SameSite=Lax" in cookie, cookie
        assert "Secure" not in cookie, cookie  # plain http in development must still work


@pytest.fixture
def production_app(database_url, monkeypatch):
    from core.db import db
    from vistaflow import create_app

    monkeypatch.setenv("VISTAFLOW_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-for-the-test-only")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VISTAFLOW_ENCRYPTION_KEYS", "k1:" + "A" * 43 + "=")
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["VISTAFLOW_ENV"] == "production"
    yield app
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def test_cookies_are_secure_in_production(production_app):
    client = production_app.test_client()
    response = client.post(
        "/auth/register", json={"email": "p@example.com", "password": DEFAULT_PASSWORD, "name": "Prod"}
    )
    assert response.status_code == 201
    page = client.get("/login", base_url="https://localhost")
    response = client.post(
        "/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # flask-wtf checks the referrer over https
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "email": "p@example.com",
            "password": DEFAULT_PASSWORD,
            "remember": "on",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    for name in ("session", "remember_token"):
        cookie = set_cookie(response, name)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


# ------------------------------------------------------------------ ?next=

EVIL_TARGETS = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    " //evil.example",
]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_next_never_leaves_the_site(console, factory, target):
    user = factory.user()
    token = csrf_from(console.get("/login").get_data(as_text=True))
    response = console.client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "email": user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # Already logged in: /login?next= redirects at once, with the same rule.
    response = console.client.get("/login", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_next_keeps_a_same_site_path(console, factory):
    user = factory.user()
    workspace = factory.workspace(user)
    target = f"/w/{workspace['id']}/members"
    assert console.get(target).headers["Location"] == f"/login?next={target}"
    token = csrf_from(console.get(f"/login?next={target}").get_data(as_text=True))
    response = console.client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "email": user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == target


# ------------------------------------------------------------------ isolation


def workspace_rules(app):
    """Every console page under /w/<workspace_id>/..., including the ones later features add."""
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/w/<int:workspace_id>")]


def fill(rule, workspace_id: int, other_id: int) -> str:
    values = {}
    for name in rule.arguments:
        numeric = isinstance(rule._converters[name], IntegerConverter)
        values[name] = workspace_id if name == "workspace_id" else (other_id if numeric else "x")
    return rule.build(values, append_unknown=False)[1]


def test_a_member_of_a_gets_404_on_every_page_of_b(app, factory, owner_setup):
    owner_a, workspace_a, console_a = owner_setup
    owner_b = factory.user(name="Bob")
    workspace_b = factory.workspace(owner_b, name="Bravo")
    member_b = factory.member(owner_b, workspace_b["id"], role="member")
    rules = workspace_rules(app)
    assert {
        "web.workspace_overview",
        "web.workspace_settings",
        "web.workspace_members",
        "web.change_member_role",
        "web.remove_member",
    } <= {r.endpoint for r in rules}

    token = csrf_from(console_a.get(f"/w/{workspace_a['id']}").get_data(as_text=True))
    missing = workspace_b["id"] + 1000
    for rule in rules:
        for target in (workspace_b["id"], missing):
            url = fill(rule, target, member_b.user["id"])
            if "GET" in rule.methods:
                response = console_a.get(url)
                assert response.status_code == 404, (url, response.status_code)
                assert "Page not found" in response.get_data(as_text=True)
            if "POST" in rule.methods:
                data = {
                    "csrf_token": token,
                    "name": "Owned",
                    "email": owner_a.email,
                    "role": "owner",
                    "time_zone": "UTC",
                }
                response = console_a.client.post(url, data=data)
                assert response.status_code == 404, (url, response.status_code)

    assert owner_b.get(f"/workspaces/{workspace_b['id']}").get_json()["name"] == "Bravo"
    members = owner_b.get(f"/workspaces/{workspace_b['id']}/members").get_json()["items"]
    assert sorted((m["email"], m["role"]) for m in members) == sorted(
        [(owner_b.email, "owner"), (member_b.email, "member")]
    )
    # B never appears in A's switcher.
    assert "Bravo" not in console_a.get(f"/w/{workspace_a['id']}").get_data(as_text=True)
    # A switcher request for B's id falls back to A's own workspace.
    assert console_a.get(f"/?ws={workspace_b['id']}").headers["Location"] == f"/w/{workspace_a['id']}"


# ------------------------------------------------------------------ roles


def test_a_member_cannot_change_settings_or_members(app, factory, owner_setup):
    owner, workspace, _ = owner_setup
    wid = workspace["id"]
    member = factory.member(owner, wid, role="member")
    outsider = factory.user()
    console = console_for(app, member)

    settings_page = console.get(f"/w/{wid}/settings").get_data(as_text=True)
    assert "Only owners and admins can change settings." in settings_page
    assert "<fieldset disabled" in settings_page
    members_page = console.get(f"/w/{wid}/members").get_data(as_text=True)
    assert "Invite someone" not in members_page and "Send invitation" not in members_page
    assert f'id="role-{owner.user["id"]}"' not in members_page  # no role pickers for a member

    attempts = [
        (
            f"/w/{wid}/settings",
            {
                "name": "Mine now",
                "time_zone": "Asia/Tokyo",
                "default_daily_dm_quota": "999",
                "collection_look_back_days": "30",
            },
        ),
        (f"/w/{wid}/members", {"email": outsider.email, "role": "admin"}),
        (f"/w/{wid}/members/{member.user['id']}/role", {"role": "owner"}),
        (f"/w/{wid}/members/{owner.user['id']}/role", {"role": "member"}),
        (f"/w/{wid}/members/{owner.user['id']}/remove", {}),
    ]
    for path, data in attempts:
        response = console.post_form(
            f"/w/{wid}/members", data, action=path, headers={"Referer": f"http://localhost/w/{wid}/members"}
        )
        assert response.status_code in (302, 303), (path, response.status_code)
        assert response.headers["Location"].endswith(f"/w/{wid}/members"), path
        errors = flash_errors(console.get(f"/w/{wid}/members").get_data(as_text=True))
        assert errors and "role" in errors[0], (path, errors)

    body = owner.get(f"/workspaces/{wid}").get_json()
    assert (body["name"], body["time_zone"], body["settings"]["default_daily_dm_quota"]) == ("Acme", "UTC", 50)
    members = owner.get(f"/workspaces/{wid}/members").get_json()["items"]
    assert sorted((m["email"], m["role"]) for m in members) == sorted(
        [(owner.email, "owner"), (member.email, "member")]
    )


def test_a_member_can_leave_but_not_remove_others(app, factory, owner_setup):
    owner, workspace, _ = owner_setup
    wid = workspace["id"]
    member = factory.member(owner, wid, role="member")
    colleague = factory.member(owner, wid, role="member")
    console = console_for(app, member)

    page = console.get(f"/w/{wid}/members").get_data(as_text=True)
    assert f"/members/{member.user['id']}/remove" in page  # a Leave button for oneself
    assert f"/members/{colleague.user['id']}/remove" not in page  # no Remove button for others
    response = console.post_form(f"/w/{wid}/members", {}, action=f"/w/{wid}/members/{colleague.user['id']}/remove")
    assert response.status_code == 303
    assert "role" in flash_errors(console.get(f"/w/{wid}/members").get_data(as_text=True))[0]

    response = console.post_form(f"/w/{wid}/members", {}, action=f"/w/{wid}/members/{member.user['id']}/remove")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "You left the workspace." in console.get("/w/new").get_data(as_text=True)
    assert console.get(f"/w/{wid}").status_code == 404
    members = owner.get(f"/workspaces/{wid}/members").get_json()["items"]
    assert sorted(m["email"] for m in members) == sorted([owner.email, colleague.email])


def test_unknown_console_page_is_the_html_404(console, factory):
    user = factory.user()
    console.login(user.email)
    response = console.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "Back to your workspaces" in page
