"""Issue 22 (and finding 4 of issue 17): people join a workspace by accepting an invitation.

Through the API and the console, with a real SMTP server: the mail, acceptance by an existing and by a
new person, the address check, revoked, expired, re-sent and reused links.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.db import db, utcnow
from core.models import Invitation
from tests.conftest import DEFAULT_PASSWORD, Console
from tests.core.mail.conftest import MailedFactory, run_due_mail
from tests.emulators.smtp import SmtpServer


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def app_config(smtp_server):
    return {"SMTP_URL": smtp_server.url}


@pytest.fixture
def factory(client, smtp_server) -> MailedFactory:
    return MailedFactory(client, smtp_server)


@pytest.fixture
def team(factory):
    owner = factory.user(name="Ada Lovelace")
    owner.workspace = factory.workspace(owner, name="Acme Growth")
    return owner


def _invite(owner, email: str, role: str = "member") -> str:
    answer = owner.post(f"/workspaces/{owner.workspace['id']}/invitations", json={"email": email, "role": role})
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()["invite_url"].rsplit("/", 1)[1]


def _mailed_token(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"/invitations/(\S+)", text).group(1)


def test_an_invitation_is_mailed_and_accepted_by_an_existing_account(app, factory, team, smtp_server):
    grace = factory.user(name="Grace Hopper")
    shown = _invite(team, grace.email, "admin")
    assert run_due_mail(app) == 1
    (mail,) = smtp_server.messages
    assert mail["To"] == grace.email and mail["Subject"] == "Join Acme Growth on VistaFlow"
    assert "Ada Lovelace invites you" in mail.get_body(preferencelist=("plain",)).get_content()
    token = _mailed_token(mail)
    assert token == shown  # the inviter's copy and the mail are the same link

    assert grace.get(f"/workspaces/{team.workspace['id']}").status_code == 404  # not before accepting
    joined = grace.post("/invitations/accept", json={"token": token})
    assert joined.status_code == 200 and joined.get_json() == {"workspace_id": team.workspace["id"], "role": "admin"}
    members = team.get(f"/workspaces/{team.workspace['id']}/members").get_json()["items"]
    assert {(m["email"], m["role"]) for m in members} == {(team.email, "owner"), (grace.email, "admin")}
    assert team.get(f"/workspaces/{team.workspace['id']}/invitations").get_json()["items"] == []
    again = grace.post("/invitations/accept", json={"token": token})
    assert again.status_code == 422 and "token" in again.get_json()["error"]["fields"]


def test_a_new_person_signs_up_from_the_link_and_joins(app, client, team):
    token = _invite(team, "newcomer@example.com")
    browser = Console(app.test_client())
    page = browser.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Join Acme Growth" in page and "Create an account" in page
    signup = f"/signup?next=/invitations/{token}"
    made = browser.post_form(
        signup, {"email": "newcomer@example.com", "name": "Newt", "password": "ochre-lantern-walrus"}
    )
    assert made.status_code == 302 and made.headers["Location"] == f"/invitations/{token}"
    joined = browser.post_form(f"/invitations/{token}", {})
    assert joined.status_code == 303 and joined.headers["Location"].endswith(f"/w/{team.workspace['id']}")
    assert browser.get(f"/w/{team.workspace['id']}").status_code == 200


def test_only_the_invited_address_can_accept(app, factory, team):
    token = _invite(team, "grace@example.com")
    mallory = factory.user()
    refused = mallory.post("/invitations/accept", json={"token": token})
    assert refused.status_code == 403 and "grace@example.com" in refused.get_json()["error"]["message"]
    browser = Console(app.test_client())
    browser.login(mallory.email, DEFAULT_PASSWORD)
    page = browser.get(f"/invitations/{token}").get_data(as_text=True)
    assert "this invitation is for grace@example.com" in page and "Accept and join" not in page
    assert mallory.get(f"/workspaces/{team.workspace['id']}").status_code == 404


def test_revoked_expired_and_resent_links(app, factory, team, smtp_server):
    grace, alan = factory.user(), factory.user()
    ws = team.workspace["id"]
    revoked = _invite(team, grace.email)
    [pending] = team.get(f"/workspaces/{ws}/invitations").get_json()["items"]
    assert team.delete(f"/workspaces/{ws}/invitations/{pending['id']}").status_code == 204
    assert grace.post("/invitations/accept", json={"token": revoked}).status_code == 422

    old = _invite(team, alan.email)
    [pending] = team.get(f"/workspaces/{ws}/invitations").get_json()["items"]
    resent = team.post(f"/workspaces/{ws}/invitations/{pending['id']}/resend")
    assert resent.status_code == 202
    new = resent.get_json()["invite_url"].rsplit("/", 1)[1]
    assert alan.post("/invitations/accept", json={"token": old}).status_code == 422  # the old link died
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert alan.post("/invitations/accept", json={"token": new}).status_code == 422  # expired
    assert Console(app.test_client()).get(f"/invitations/{new}").status_code == 404
    assert team.post(f"/workspaces/{ws}/invitations/{pending['id']}/resend").status_code == 409


def test_a_member_cannot_invite_and_an_admin_cannot_invite_owners(factory, team):
    member = factory.member(team, team.workspace["id"], "member")
    ws = team.workspace["id"]
    assert member.post(f"/workspaces/{ws}/invitations", json={"email": "x@example.com"}).status_code == 403
    admin = factory.member(team, ws, "admin")
    owner_invite = admin.post(f"/workspaces/{ws}/invitations", json={"email": "x@example.com", "role": "owner"})
    assert owner_invite.status_code == 422 and "role" in owner_invite.get_json()["error"]["fields"]


def test_the_invitation_speaks_the_invitees_language(app, factory, team, smtp_server):
    grace = factory.user()
    assert grace.patch("/users/me", json={"locale": "fr"}).status_code == 200
    _invite(team, grace.email)
    assert (
        team.patch(f"/workspaces/{team.workspace['id']}", json={"settings": {"default_locale": "fr"}}).status_code
        == 200
    )
    _invite(team, "nouveau@example.com")  # no account: the workspace's language
    run_due_mail(app)
    subjects = {m["To"]: m["Subject"] for m in smtp_server.messages}
    assert subjects == {
        grace.email: "Rejoignez Acme Growth sur VistaFlow",
        "nouveau@example.com": "Rejoignez Acme Growth sur VistaFlow",
    }
    body = smtp_server.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "vous invite dans l\u2019espace de travail VistaFlow « Acme Growth »" in body
