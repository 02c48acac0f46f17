"""Issue 22, password reset: through the API and the console, to a real SMTP server, and back.

The answer (status, body) is the same for known and unknown addresses; the link works once, for one hour;
using it ends every session, JWT and remember-me cookie; requests are throttled per address and per IP;
a server that is down gets the mail later.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from core.db import db, utcnow
from core.models import MailMessage, MailStatus, PasswordReset
from tests.conftest import DEFAULT_PASSWORD, Console
from tests.core.mail.conftest import run_due_mail

NEW_PASSWORD = "ochre-lantern-walrus"
RESET_MAIL = select(MailMessage).where(MailMessage.kind == "password_reset")


def _link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://\S+/reset-password/(\S+)", text).group(0)


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_the_answer_is_the_same_for_known_and_unknown_addresses(app, client, factory, smtp_server):
    user = factory.user()
    known = client.post("/auth/password-reset", json={"email": user.email})
    unknown = client.post("/auth/password-reset", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert "If this address has a VistaFlow account" in known.get_json()["message"]
    assert smtp_server.messages == []  # nothing is sent inside the request
    assert run_due_mail(app) == 2  # the same work for both: one job each
    assert [m["To"] for m in smtp_server.messages] == [user.email]
    with app.app_context():
        statuses = sorted(m.status for m in db.session.scalars(RESET_MAIL))
        assert statuses == [MailStatus.NO_RECIPIENT.value, MailStatus.SENT.value]


def test_the_link_resets_once_and_ends_every_session(app, client, factory, smtp_server):
    user = factory.user(name="Ada <b>Lovelace</b>")
    old_jwt = user.get("/users/me")
    assert old_jwt.status_code == 200
    browser = Console(app.test_client())
    browser.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD, "remember": "on"})
    assert browser.get("/account").status_code == 200

    client.post("/auth/password-reset", json={"email": user.email})
    run_due_mail(app)
    (mail,) = smtp_server.messages
    assert mail["From"] == "VistaFlow <no-reply@vistaflow.example>"
    assert mail["Subject"] == "Reset your VistaFlow password"
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;Lovelace&lt;/b&gt;" in html and "<b>Lovelace" not in html  # a name is text, never markup
    token = _token(_link(mail))

    weak = client.post("/auth/password-reset/confirm", json={"token": token, "new_password": "password12"})
    assert weak.status_code == 422 and "new_password" in weak.get_json()["error"]["fields"]
    done = client.post("/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    assert done.status_code == 200, done.get_json()

    assert user.get("/users/me").status_code == 401  # the old JWT
    assert browser.get("/account").status_code == 302  # the console session, remember-me included
    again = client.post("/auth/password-reset/confirm", json={"token": token, "new_password": "another-brass-comet"})
    assert again.status_code == 422 and "token" in again.get_json()["error"]["fields"]
    assert client.post("/auth/login", json={"email": user.email, "password": NEW_PASSWORD}).status_code == 200
    with app.app_context():
        sent = db.session.scalar(select(MailMessage))
        assert sent.status == "sent" and sent.body_text is None and sent.body_html is None  # no body kept
        assert token not in str(sent.__dict__)


def test_an_expired_link_is_refused_and_says_what_to_do(app, client, console, factory, smtp_server):
    user = factory.user()
    client.post("/auth/password-reset", json={"email": user.email})
    run_due_mail(app)
    token = _token(_link(smtp_server.messages[0]))
    with app.app_context():
        db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page = console.get(f"/reset-password/{token}")
    assert page.status_code == 404 and "expired or already used" in page.get_data(as_text=True)
    refused = client.post("/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    assert refused.status_code == 422


def test_requests_are_throttled_per_address_and_per_ip(app, client, factory, smtp_server):
    user = factory.user()
    codes = [client.post("/auth/password-reset", json={"email": user.email}).status_code for _ in range(6)]
    assert codes == [202] * 5 + [429]
    app.config["PASSWORD_RESET_MAX_PER_IP"] = 7
    others = [client.post("/auth/password-reset", json={"email": f"x{n}@example.com"}).status_code for n in range(3)]
    assert others == [202, 202, 429]  # seven from this address in the hour: the IP is done too
    bad = client.post(
        "/auth/password-reset", json={"email": "not-an-address"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert bad.status_code == 422 and "email" in bad.get_json()["error"]["fields"]


def test_a_server_that_is_down_gets_the_mail_later(app, client, factory, smtp_server):
    user = factory.user()
    smtp_server.stop()
    client.post("/auth/password-reset", json={"email": user.email})
    run_due_mail(app)
    with app.app_context():
        message = db.session.scalar(RESET_MAIL)
        assert message.status == "retrying" and message.attempts == 1 and "Connection" in message.last_error
    assert run_due_mail(app) == 0  # the retry waits a minute
    smtp_server.start()
    assert run_due_mail(app, now=utcnow() + timedelta(minutes=2)) == 1
    assert [m["To"] for m in smtp_server.messages] == [user.email]
    with app.app_context():
        message = db.session.scalar(RESET_MAIL)
        assert message.status == "sent" and message.attempts == 2


def test_a_refusing_server_gives_up_after_five_tries(app, client, factory, smtp_server):
    user = factory.user()
    smtp_server.refuse_with = 550
    client.post("/auth/password-reset", json={"email": user.email})
    for minutes in (0, 2, 4, 8, 16):
        run_due_mail(app, now=utcnow() + timedelta(minutes=minutes))
    with app.app_context():
        message = db.session.scalar(RESET_MAIL)
        assert message.status == "failed" and message.attempts == 5 and "550" in message.last_error
        assert message.body_text is None  # the link is not kept once it can no longer be delivered


def test_the_console_flow_from_the_login_page(app, client, console, factory, smtp_server):
    user = factory.user()
    login = console.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in login
    page = console.post_form("/forgot-password", {"email": user.email})
    assert page.status_code == 200 and "If this address has a VistaFlow account" in page.get_data(as_text=True)
    run_due_mail(app)
    link = _link(smtp_server.messages[0])
    path = "/reset-password/" + _token(link)
    differ = console.post_form(path, {"new_password": NEW_PASSWORD, "confirm_password": "other"})
    assert differ.status_code == 422 and "differ" in differ.get_data(as_text=True)
    saved = console.post_form(path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/login")
    assert console.login(user.email, NEW_PASSWORD).status_code == 302


def test_without_smtp_url_the_mail_is_logged_and_shown_to_operators(app, client, factory, caplog, runner):
    app.config["SMTP_URL"] = None
    user = factory.user()
    client.post("/auth/password-reset", json={"email": user.email})
    with caplog.at_level("INFO", logger="core.services.mail.outbox"):
        run_due_mail(app)
    assert "/reset-password/" in caplog.text and user.email in caplog.text
    with app.app_context():
        assert db.session.scalar(RESET_MAIL).status == "logged"

    console = Console(app.test_client())
    console.login(user.email)
    assert console.get("/console/admin/mail").status_code == 404  # operators only
    operator = factory.user()
    assert runner.invoke(args=["vistaflow", "promote", operator.email]).exit_code == 0
    console = Console(app.test_client())
    console.login(operator.email)
    page = console.get("/console/admin/mail").get_data(as_text=True)
    # Logged: both sign-ups' verification mails and the reset mail.
    assert user.email in page and "logged: 3" in page and "/reset-password/" in page
    assert "SMTP_URL is not set" in page


def test_the_mail_speaks_the_persons_language(app, client, factory, smtp_server):
    user = factory.user()
    assert user.patch("/users/me", json={"locale": "fr"}).status_code == 200
    client.post("/auth/password-reset", json={"email": user.email})
    stranger = client.post("/auth/password-reset", json={"email": "x@example.com"}, headers={"Accept-Language": "fr"})
    assert stranger.get_json()["message"].startswith("Si cette adresse a un compte VistaFlow")
    run_due_mail(app)
    (mail,) = smtp_server.messages
    assert mail["Subject"] == "Réinitialisez votre mot de passe VistaFlow"
    assert "Choisissez-en un nouveau ici" in mail.get_body(preferencelist=("plain",)).get_content()
