"""The console's account page and Admin section, driven through real forms with CSRF."""

from __future__ import annotations

import re

from tests.conftest import DEFAULT_PASSWORD, Console

NEW_PASSWORD = "another-long-passphrase"


def logged_in(app, user) -> Console:
    browser = Console(app.test_client())
    assert browser.login(user.email).status_code == 302
    return browser


def test_profile_page_updates_name_zone_and_notifications(app, factory):
    user = factory.user(name="Ann")
    browser = logged_in(app, user)
    page = browser.get("/account")
    assert page.status_code == 200 and "Ann" in page.get_data(as_text=True)
    response = browser.post_form(
        "/account", {"name": "Ann Lee", "time_zone": "Asia/Tokyo", "hot_target_alerts": "on"}, action="/account/profile"
    )
    assert response.status_code == 303
    body = user.get("/users/me").get_json()
    assert body["name"] == "Ann Lee" and body["time_zone"] == "Asia/Tokyo"
    assert body["notifications"] == {"email_digest": False, "digest_hour": 8, "hot_target_alerts": True}
    bad = browser.post_form("/account", {"name": "", "time_zone": "UTC"}, action="/account/profile")
    assert bad.status_code == 422 and "Must not be empty" in bad.get_data(as_text=True)


def test_forms_without_csrf_are_refused(app, factory):
    user = factory.user(name="Ann")
    browser = logged_in(app, user)
    response = browser.client.post("/account/profile", data={"name": "Mallory", "time_zone": "UTC"})
    assert response.status_code == 400
    assert user.get("/users/me").get_json()["name"] == "Ann"


def test_password_change_keeps_this_browser_and_logs_out_the_others(app, api, factory):
    user = factory.user()
    here, elsewhere = logged_in(app, user), logged_in(app, user)
    response = here.post_form(
        "/account",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        action="/account/password",
    )
    assert response.status_code == 303
    assert here.get("/account").status_code == 200
    gone = elsewhere.get("/account")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert api.as_user(user.token).get("/users/me").status_code == 401


def test_password_change_with_wrong_current_password_is_shown_inline(app, factory):
    user = factory.user()
    browser = logged_in(app, user)
    response = browser.post_form(
        "/account",
        {"current_password": "wrong-password!", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        action="/account/password",
    )
    assert response.status_code == 422 and "Incorrect password" in response.get_data(as_text=True)
    assert user.get("/users/me").status_code == 200


def test_token_secret_is_shown_once_then_listed_and_revocable(app, api, factory):
    user = factory.user()
    browser = logged_in(app, user)
    created = browser.post_form("/account", {"token_name": "Zapier"}, action="/account/tokens")
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and "will not be shown again" in html
    secret = re.search(r'id="new-token">(vf_[^<]+)<', html).group(1)
    assert api.as_user(secret).get("/users/me").status_code == 200

    page = browser.get("/account").get_data(as_text=True)
    assert "Zapier" in page and secret not in page and secret[:10] in page
    token_id = user.get("/users/me/tokens").get_json()["items"][0]["id"]
    revoked = browser.post_form("/account", {}, action=f"/account/tokens/{token_id}/revoke")
    assert revoked.status_code == 303
    assert api.as_user(secret).get("/users/me").status_code == 401
    assert "revoked" in browser.get("/account").get_data(as_text=True)
    # Someone else's token id is a 404, and leaves the token alone.
    other = factory.user()
    other_id = other.post("/users/me/tokens", json={"name": "theirs"}).get_json()["id"]
    assert browser.post_form("/account", {}, action=f"/account/tokens/{other_id}/revoke").status_code == 404
    assert other.get("/users/me/tokens").get_json()["items"][0]["revoked"] is False


def test_delete_account_needs_confirmation_and_is_refused_for_last_owner(app, api, factory):
    owner = factory.user()
    factory.workspace(owner, "Acme")
    browser = logged_in(app, owner)
    unconfirmed = browser.post_form("/account", {"delete_password": DEFAULT_PASSWORD}, action="/account/delete")
    assert unconfirmed.status_code == 422 and "Type DELETE" in unconfirmed.get_data(as_text=True)
    refused = browser.post_form(
        "/account",
        {"delete_password": DEFAULT_PASSWORD, "confirm": "DELETE"},
        action="/account/delete",
        follow_redirects=True,
    )
    assert "last owner" in refused.get_data(as_text=True) and "Acme" in refused.get_data(as_text=True)

    loner = factory.user()
    browser = logged_in(app, loner)
    done = browser.post_form(
        "/account", {"delete_password": DEFAULT_PASSWORD, "confirm": "DELETE"}, action="/account/delete"
    )
    assert done.status_code == 303 and "/login" in done.headers["Location"]
    assert api.post("/auth/login", json={"email": loner.email, "password": DEFAULT_PASSWORD}).status_code == 401


def make_admin(app, factory):
    admin = factory.user(name="Operator")
    assert app.test_cli_runner().invoke(args=["vistaflow", "promote", admin.email]).exit_code == 0
    return admin


def test_admin_section_is_404_for_everyone_but_operators(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    browser = logged_in(app, owner)
    paths = [
        "/console/admin",
        "/console/admin/workspaces",
        f"/console/admin/workspaces/{workspace['id']}",
        "/console/admin/users",
        f"/console/admin/users/{owner.user['id']}",
    ]
    for path in paths:
        assert browser.get(path).status_code == 404, path
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/account").get_data(as_text=True)).group(1)
    posts = (f"/console/admin/workspaces/{workspace['id']}/suspend", f"/console/admin/users/{owner.user['id']}/suspend")
    for path in posts:
        assert browser.client.post(path, data={"csrf_token": token}).status_code == 404, path
    assert owner.get(f"/workspaces/{workspace['id']}").get_json()["suspended"] is False
    assert "/console/admin" not in browser.get("/account").get_data(as_text=True)
    anonymous = Console(app.test_client()).get("/console/admin/users")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_operator_searches_pages_and_suspends_through_the_console(app, api, factory):
    admin = make_admin(app, factory)
    owner = factory.user(email="o'brien@example.com", name="Pat O'Brien")
    workspace = factory.workspace(owner, "Acme Corp")
    browser = logged_in(app, admin)
    assert "/console/admin/workspaces" in browser.get("/account").get_data(as_text=True)

    listing = browser.get("/console/admin/workspaces?q=acme").get_data(as_text=True)
    assert "Acme Corp" in listing
    assert "Acme Corp" not in browser.get("/console/admin/workspaces?q=nothing-like-it").get_data(as_text=True)
    users = browser.get("/console/admin/users?q=brien").get_data(as_text=True)
    assert "o&#39;brien@example.com</a>" in users and f"{admin.email}</a>" not in users

    detail = browser.get(f"/console/admin/workspaces/{workspace['id']}").get_data(as_text=True)
    assert "Failed jobs" in detail and owner.email.replace("'", "&#39;") in detail
    response = browser.post_form(
        f"/console/admin/workspaces/{workspace['id']}",
        {"reason": "unpaid"},
        action=f"/console/admin/workspaces/{workspace['id']}/suspend",
    )
    assert response.status_code == 303
    assert owner.get(f"/workspaces/{workspace['id']}").get_json()["suspended"] is True
    assert "Reactivate" in browser.get(f"/console/admin/workspaces/{workspace['id']}").get_data(as_text=True)

    user_page = f"/console/admin/users/{owner.user['id']}"
    page = browser.get(user_page).get_data(as_text=True)
    # The confirmation text is an HTML attribute read by static JS (no inline handler under the CSP): escaped there.
    assert "Acme Corp" in page and 'data-confirm="Suspend o&#39;brien@example.com?' in page
    assert browser.post_form(user_page, {}, action=f"{user_page}/suspend").status_code == 303
    assert api.post("/auth/login", json={"email": owner.email, "password": DEFAULT_PASSWORD}).status_code == 403
    assert browser.post_form(user_page, {}, action=f"{user_page}/reactivate").status_code == 303
    assert api.post("/auth/login", json={"email": owner.email, "password": DEFAULT_PASSWORD}).status_code == 200


def test_operator_pager_follows_the_cursor(app, factory):
    from console.web import operator_views

    admin = make_admin(app, factory)
    owner = factory.user()
    for name in ("One", "Two", "Three"):
        factory.workspace(owner, name)
    browser = logged_in(app, admin)
    original = operator_views.PAGE_SIZE
    operator_views.PAGE_SIZE = 2
    try:
        first = browser.get("/console/admin/workspaces").get_data(as_text=True)
        assert "Three" in first and "Two" in first and "One" not in first
        next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
        second = browser.get(next_url).get_data(as_text=True)
        assert "One" in second and "Three" not in second and 'rel="next"' not in second
    finally:
        operator_views.PAGE_SIZE = original
