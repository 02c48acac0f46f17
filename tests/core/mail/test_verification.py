"""Issue 22, email verification: the link mailed at sign-up, and what an unverified account may do.

Unverified: everything in a first workspace; accepting an invitation (mailed to the address) verifies it,
as a password reset does; a second workspace needs a verified address.
"""

from __future__ import annotations

import re

from tests.conftest import Console
from tests.core.mail.conftest import run_due_mail


def _verification_link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://\S+/verify-email/(\S+)", text).group(0)


def test_sign_up_mails_a_link_that_verifies_the_address(app, client, factory, smtp_server):
    user = factory.user(verified=False)
    assert user.get("/users/me").get_json()["email_verified_at"] is None
    assert run_due_mail(app) == 0  # the factory already delivered it
    signup = client.post(
        "/auth/register",
        json={"email": "lea@example.com", "password": "ochre-lantern-walrus", "name": "Léa"},
        headers={"Accept-Language": "fr"},
    )
    assert signup.status_code == 201
    assert smtp_server.messages == []  # sent by a job, never inside the request
    run_due_mail(app)
    (mail,) = smtp_server.messages
    assert mail["To"] == "lea@example.com"
    assert mail["Subject"] == "Confirmez votre adresse e-mail pour VistaFlow"  # the sign-up page's language
    token = _verification_link(mail).rsplit("/", 1)[1]

    first = client.post("/auth/verify-email", json={"token": token})
    assert first.status_code == 200 and first.get_json()["message"] == "Your email address is verified."
    lea = client.post("/auth/login", json={"email": "lea@example.com", "password": "ochre-lantern-walrus"})
    me = client.get("/users/me", headers={"Authorization": f"Bearer {lea.get_json()['access_token']}"})
    assert me.get_json()["email_verified_at"] is not None
    assert client.post("/auth/verify-email", json={"token": token}).status_code == 200  # opening it again is fine


def test_a_forged_or_foreign_link_is_refused_with_the_field_named(client, factory):
    factory.user(verified=False)
    forged = client.post("/auth/verify-email", json={"token": "eyJ1IjoxfQ.forged.sig"})
    assert forged.status_code == 422
    error = forged.get_json()["error"]
    assert error["fields"] == {"token": error["message"]}
    assert client.post("/auth/verify-email", json={}).get_json()["error"]["fields"].keys() == {"token"}


def test_an_unverified_account_owns_one_workspace_until_verified(app, client, factory, smtp_server):
    user = factory.user(verified=False)
    assert user.post("/workspaces", json={"name": "First"}).status_code == 201
    second = user.post("/workspaces", json={"name": "Second"})
    assert second.status_code == 403
    assert "Verify your email address before creating another workspace" in second.get_json()["error"]["message"]
    assert [w["name"] for w in user.get("/auth/me").get_json()["workspaces"]] == ["First"]  # nothing half-made

    resent = user.post("/users/me/verification")
    assert resent.status_code == 202 and user.email in resent.get_json()["message"]
    run_due_mail(app)
    token = _verification_link(smtp_server.messages[-1]).rsplit("/", 1)[1]
    assert client.post("/auth/verify-email", json={"token": token}).status_code == 200
    assert user.post("/workspaces", json={"name": "Second"}).status_code == 201


def test_accepting_an_invitation_verifies_the_address(app, factory, smtp_server):
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    invitee = factory.user(verified=False)
    invited = owner.post(f"/workspaces/{workspace['id']}/invitations", json={"email": invitee.email, "role": "member"})
    token = invited.get_json()["invite_url"].rsplit("/", 1)[1]
    assert invitee.post("/invitations/accept", json={"token": token}).status_code == 200
    assert invitee.get("/users/me").get_json()["email_verified_at"] is not None


def test_the_console_shows_a_notice_resends_and_verifies(app, factory, smtp_server):
    user = factory.user(verified=False)
    console = Console(app.test_client())
    console.login(user.email)
    factory.workspace(user, "Acme")
    home = console.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'id="verify-notice"' in home and "Confirm your email address" in home

    account = console.get("/account").get_data(as_text=True)
    assert "not verified" in account
    for _ in range(3):
        sent = console.post_form("/account", {}, action="/account/verification", follow_redirects=True).get_data(
            as_text=True
        )
        assert f"A verification link is on its way to {user.email}" in sent
    refused = console.post_form("/account", {}, action="/account/verification", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Too many verification mails" in refused
    run_due_mail(app)
    assert len(smtp_server.messages) == 3

    path = "/verify-email/" + _verification_link(smtp_server.messages[-1]).rsplit("/", 1)[1]
    done = console.get(path, follow_redirects=True).get_data(as_text=True)
    assert "Your email address is verified." in done and 'id="verify-notice"' not in done
    assert "not verified" not in console.get("/account").get_data(as_text=True)
    bad = console.get("/verify-email/nonsense", follow_redirects=True).get_data(as_text=True)
    assert "This verification link is unknown, expired or for another address" in bad


def test_a_password_reset_verifies_the_address(app, client, factory, smtp_server):
    user = factory.user(verified=False)
    client.post("/auth/password-reset", json={"email": user.email})
    run_due_mail(app)
    text = smtp_server.messages[0].get_body(preferencelist=("plain",)).get_content()
    token = re.search(r"/reset-password/(\S+)", text).group(1)
    new_password = "ochre-lantern-walrus"
    done = client.post("/auth/password-reset/confirm", json={"token": token, "new_password": new_password})
    assert done.status_code == 200
    login = client.post("/auth/login", json={"email": user.email, "password": new_password}).get_json()
    me = client.get("/users/me", headers={"Authorization": f"Bearer {login['access_token']}"}).get_json()
    assert me["email_verified_at"] is not None
