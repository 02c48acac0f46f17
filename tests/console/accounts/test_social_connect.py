"""The OAuth connect flows through the Flask client against the local Instagram and TikTok emulators."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, update

from core.db import db, utcnow
from core.models import AuditEntry, OAuthState
from tests.conftest import Console
from tests.social import accounts_in, all_text_in_database


@pytest.fixture
def app_config(instagram_emulator, tiktok_emulator):
    return instagram_emulator.config() | tiktok_emulator.config()


@pytest.fixture
def owner(factory, console):
    """An owner, signed in to the console in the browser (`client`) that comes back to the callbacks."""
    user = factory.user()
    user.workspace = factory.workspace(user)
    console.login(user.email)
    return user


def auth_url(user, platform: str = "instagram", workspace_id: int | None = None) -> str:
    wid = workspace_id or user.workspace["id"]
    response = user.get(f"/social-accounts/{platform}/auth-url?workspaceId={wid}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["url"]


def consent(url: str) -> str:
    """Play the browser at the platform: follow its authorize URL and return our callback path + query."""
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    return f"{location.path}?{location.query}"  # the "#_" fragment never reaches a server


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def connect(client, user, platform: str = "instagram"):
    return client.get(consent(auth_url(user, platform)))


def test_auth_url_points_at_instagram_with_business_scopes_and_a_state(owner, instagram_emulator):
    url = auth_url(owner)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert url.startswith(instagram_emulator.authorize_url)
    assert query["client_id"] == ["ig-client-id"] and query["response_type"] == ["code"]
    scopes = query["scope"][0].split(",")
    assert {"instagram_business_basic", "instagram_business_manage_comments"} <= set(scopes)
    assert "instagram_business_manage_messages" in scopes
    assert query["redirect_uri"][0].endswith("/social-accounts/instagram/callback")
    assert len(query["state"][0]) > 40


def test_full_instagram_flow_stores_an_encrypted_long_lived_token(app, client, console, owner, instagram_emulator):
    ig_id = instagram_emulator.add_account("acme.shop", "BUSINESS")
    response = connect(client, owner)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/w/{owner.workspace['id']}/accounts")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Instagram account @acme.shop connected." in page and "Connected" in page

    [account] = accounts_in(app, owner.workspace["id"])
    assert account.platform_user_id == ig_id and account.username == "acme.shop"
    assert account.account_type == "BUSINESS" and account.status == "connected"
    assert account.access_token_encrypted.startswith("v1:k1:")
    with app.app_context():
        token = db.session.merge(account).decrypted_access_token()
    assert instagram_emulator.tokens[token].long_lived
    assert token not in account.access_token_encrypted
    days = (account.access_token_expires_at - utcnow()).days
    assert 58 <= days <= 60
    # The code went through the short-lived exchange, then the long-lived one.
    assert len(instagram_emulator.calls("POST", "/oauth/access_token")) == 1
    assert len(instagram_emulator.calls("GET", "/access_token")) == 1


def test_reconnecting_the_same_account_updates_it(app, client, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    assert connect(client, owner).status_code == 303
    [first] = accounts_in(app, owner.workspace["id"])
    owner.delete(f"/social-accounts/{first.id}")
    assert connect(client, owner).status_code == 303
    [second] = accounts_in(app, owner.workspace["id"])
    assert second.id == first.id and second.status == "connected"
    assert second.access_token_encrypted != first.access_token_encrypted


def test_reused_state_is_refused_and_stores_nothing(app, client, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    callback = consent(auth_url(owner))
    assert client.get(callback).status_code == 303
    before = accounts_in(app, owner.workspace["id"])[0].access_token_encrypted
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "already used or has expired" in replay.get_data(as_text=True)
    [account] = accounts_in(app, owner.workspace["id"])
    assert account.access_token_encrypted == before
    assert len(instagram_emulator.calls("POST", "/oauth/access_token")) == 1


def test_bad_and_tampered_states_are_clear_errors(app, client, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    callback = consent(auth_url(owner))
    state = parse_qs(urlsplit(callback).query)["state"][0]
    for bad in ("", "nonsense", state[:-3] + "xyz"):
        response = client.get(f"/social-accounts/instagram/callback?code=AQx&state={bad}")
        assert response.status_code == 400
        assert response.mimetype == "text/html"
        assert "not valid" in response.get_data(as_text=True)
    # A state issued for Instagram does not open the TikTok callback.
    assert client.get(callback.replace("/instagram/", "/tiktok/")).status_code == 400
    assert accounts_in(app, owner.workspace["id"]) == []
    assert instagram_emulator.calls("POST", "/oauth/access_token") == []


def test_expired_state_is_refused(app, client, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    callback = consent(auth_url(owner))
    with app.app_context():
        db.session.execute(update(OAuthState).values(expires_at=utcnow()))
        db.session.commit()
    response = client.get(callback)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)

    # A signature older than 10 minutes is refused even if its row were still fresh.
    class OldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 11 * 60

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="vistaflow.oauth-state", signer=OldSigner)
    old = serializer.dumps(serializer.loads(state_of(auth_url(owner))))
    response = client.get(f"/social-accounts/instagram/callback?code=AQx&state={old}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert accounts_in(app, owner.workspace["id"]) == []


def test_denied_consent_comes_back_as_a_readable_message(app, client, console, owner, instagram_emulator):
    state = state_of(auth_url(owner))
    response = client.get(
        "/social-accounts/instagram/callback?error=access_denied&error_reason=user_denied"
        f"&error_description=The+user+denied+your+request.&state={state}",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "permission was not granted" in response.get_data(as_text=True)
    assert accounts_in(app, owner.workspace["id"]) == []


def test_personal_account_is_refused(app, client, console, owner, instagram_emulator):
    instagram_emulator.add_account("just.me", "PERSONAL")
    response = client.get(consent(auth_url(owner)), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "@just.me is a personal Instagram account" in html and "Business or Creator" in html
    assert accounts_in(app, owner.workspace["id"]) == []


def test_bad_code_is_a_readable_message_and_nothing_is_stored(app, client, console, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    state = state_of(auth_url(owner))
    response = client.get(f"/social-accounts/instagram/callback?code=AQ-bogus%23_&state={state}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Instagram refused the connection" in html and "authorization code" in html
    assert "AQ-bogus" not in html
    assert accounts_in(app, owner.workspace["id"]) == []


def test_callback_code_keeps_working_with_the_trailing_marker(app, client, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    callback = consent(auth_url(owner))
    query = parse_qs(urlsplit(callback).query)
    response = client.get(
        "/social-accounts/instagram/callback",
        query_string={"code": query["code"][0] + "#_", "state": query["state"][0]},
    )
    assert response.status_code == 303
    assert len(accounts_in(app, owner.workspace["id"])) == 1


def test_member_removed_after_starting_cannot_finish(app, factory, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    admin = factory.member(owner, owner.workspace["id"], "admin")
    browser = Console(app.test_client())
    browser.login(admin.email)
    callback = consent(auth_url(admin, workspace_id=owner.workspace["id"]))
    owner.delete(f"/workspaces/{owner.workspace['id']}/members/{admin.user['id']}")
    assert browser.get(callback).status_code == 303
    assert accounts_in(app, owner.workspace["id"]) == []


def test_no_plaintext_token_in_database_or_logs_after_a_full_flow(
    app,
    client,
    console,
    owner,
    instagram_emulator,
    tiktok_emulator,
    caplog,
):
    caplog.set_level(logging.DEBUG)
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    tiktok_emulator.add_account("acme.tt")
    assert connect(client, owner, "instagram").status_code == 303
    assert connect(client, owner, "tiktok").status_code == 303
    listed = owner.get(f"/social-accounts/workspace/{owner.workspace['id']}").get_data(as_text=True)
    page = client.get(f"/w/{owner.workspace['id']}/accounts").get_data(as_text=True)

    secrets = list(instagram_emulator.tokens) + list(tiktok_emulator.access_tokens)
    secrets += [*tiktok_emulator.refresh_tokens, "ig-client-secret", tiktok_emulator.client_secret]
    assert len(secrets) >= 6
    database = all_text_in_database(app)
    logs = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert "social_account.connected" in database  # the scan does see the tables
    # httpx's request lines (URLs with tokens in the query) never reach the logs; every other line is scanned.
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    for secret in secrets:
        assert secret not in database, "plaintext secret in the database"
        assert secret not in logs, "plaintext secret in the logs"
        assert secret not in listed and secret not in page


def test_tiktok_flow_stores_access_and_refresh_tokens(app, client, owner, tiktok_emulator):
    open_id = tiktok_emulator.add_account("acme.tt")
    url = auth_url(owner, "tiktok")
    assert url.startswith(tiktok_emulator.authorize_url)
    response = client.get(consent(url))
    assert response.status_code == 303, response.get_data(as_text=True)
    [account] = accounts_in(app, owner.workspace["id"])
    assert account.platform == "tiktok" and account.platform_user_id == open_id and account.username == "acme.tt"
    with app.app_context():
        merged = db.session.merge(account)
        access, refresh = merged.decrypted_access_token(), merged.decrypted_refresh_token()
    assert access in tiktok_emulator.access_tokens and refresh in tiktok_emulator.refresh_tokens
    assert account.refresh_token_encrypted.startswith("v1:k1:")
    assert (account.refresh_token_expires_at - utcnow()).days >= 360
    assert (account.access_token_expires_at - utcnow()).total_seconds() <= 86400


def test_auth_url_needs_configured_app(app, owner):
    app.config["INSTAGRAM_CLIENT_ID"] = ""
    response = owner.get(f"/social-accounts/instagram/auth-url?workspaceId={owner.workspace['id']}")
    assert response.status_code == 503
    assert "INSTAGRAM_CLIENT_ID" in response.get_json()["error"]["message"]


def test_auth_url_validates_its_query(owner):
    response = owner.get("/social-accounts/instagram/auth-url")
    assert response.status_code == 422 and "workspaceId" in response.get_json()["error"]["fields"]


def test_console_connect_button_runs_the_same_flow(app, client, console, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    page = f"/w/{owner.workspace['id']}/accounts"
    response = console.post_form(page, {}, action=f"{page}/connect/instagram")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(instagram_emulator.authorize_url)
    done = client.get(consent(response.headers["Location"]), follow_redirects=True)
    assert "Instagram account @acme.shop connected." in done.get_data(as_text=True)
    assert [a.username for a in accounts_in(app, owner.workspace["id"])] == ["acme.shop"]


# ------------------------------------------------- finding 1: OAuth login CSRF and double connections


def test_finding_1_a_callback_in_a_browser_without_a_session_connects_nothing(app, owner, instagram_emulator):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    callback = consent(auth_url(owner))
    anonymous = app.test_client()
    response = anonymous.get(callback)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "Sign in to VistaFlow in this browser" in response.get_data(as_text=True)
    assert accounts_in(app, owner.workspace["id"]) == []
    assert instagram_emulator.calls("POST", "/oauth/access_token") == []


def test_finding_1_an_attackers_link_opened_by_a_victim_attaches_nothing(
    app, client, factory, owner, instagram_emulator
):
    # The attacker starts a flow for their own workspace and gets the victim to consent with it.
    attacker = factory.user()
    attacker.workspace = factory.workspace(attacker, name="Evil")
    instagram_emulator.add_account("victim.shop", "BUSINESS")
    callback = consent(auth_url(attacker))
    response = client.get(callback)  # the victim's browser, signed in as the owner
    assert response.status_code == 403
    assert "started by someone else or in another browser" in response.get_data(as_text=True)
    assert accounts_in(app, attacker.workspace["id"]) == [] and accounts_in(app, owner.workspace["id"]) == []
    assert instagram_emulator.calls("POST", "/oauth/access_token") == []


def test_finding_1_a_console_flow_comes_back_to_the_session_that_started_it(
    app, client, console, owner, instagram_emulator
):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    page = f"/w/{owner.workspace['id']}/accounts"
    started = console.post_form(page, {}, action=f"{page}/connect/instagram")
    callback = consent(started.headers["Location"])
    # The same person signed in on another browser does not hold this session's nonce.
    elsewhere = Console(app.test_client())
    elsewhere.login(owner.email)
    assert elsewhere.get(callback).status_code == 403
    assert accounts_in(app, owner.workspace["id"]) == []
    # The refusal did not use the state up: the browser that started the flow still finishes it.
    assert client.get(callback).status_code == 303
    assert [a.username for a in accounts_in(app, owner.workspace["id"])] == ["acme.shop"]


def test_finding_1_an_account_connected_to_another_workspace_is_not_connected_twice(
    app, client, factory, owner, instagram_emulator
):
    instagram_emulator.add_account("acme.shop", "BUSINESS")
    assert connect(client, owner).status_code == 303
    [first] = accounts_in(app, owner.workspace["id"])

    rival = factory.user()
    rival.workspace = factory.workspace(rival, name="Rival")
    browser = Console(app.test_client())
    browser.login(rival.email)
    answer = browser.get(consent(auth_url(rival)), follow_redirects=True).get_data(as_text=True)
    assert "@acme.shop is already connected to another VistaFlow workspace" in answer
    assert "Acme" not in answer  # the other workspace is not named
    assert accounts_in(app, rival.workspace["id"]) == []
    with app.app_context():
        refused = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.workspace_id == owner.workspace["id"], AuditEntry.action == "social_account.connect_refused"
            )
        ).all()
    assert [entry.subject_id for entry in refused] == [str(first.id)]
    assert [entry.actor_user_id for entry in refused] == [None]  # who tried, from elsewhere, stays theirs

    # A workspace that has the account reconnects it, whatever another workspace holds.
    assert connect(client, owner).status_code == 303

    # Its owner decides: once disconnected there, the account can be connected to the other workspace.
    assert owner.delete(f"/social-accounts/{first.id}").status_code in (200, 204)
    assert browser.get(consent(auth_url(rival))).status_code == 303
    assert [a.username for a in accounts_in(app, rival.workspace["id"])] == ["acme.shop"]
