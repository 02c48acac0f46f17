"""Issue 22: the daily digest and the batched hot-target alerts by mail, and their one-click unsubscribe.

The scheduled jobs run for real (recording, then the mail job to a real SMTP server); the clock is
the jobs' `now`. Targets arrive hot as the scorer leaves them (is_hot, hot_since, score).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.db import db
from core.models import DirectMessage, MailMessage, SocialAccount
from core.services.mail import digest_mail, hot_alerts, subscriptions
from tests.core.mail.conftest import run_due_mail
from tests.factories import make_account, make_target

# 09:05 in Paris in winter.
MORNING = datetime(2026, 12, 3, 8, 5, tzinfo=UTC)


def _hot(account_id: int, username: str, score: int, since: datetime):
    account = db.session.get(SocialAccount, account_id)
    return make_target(account, username=username, score=score, is_hot=True, hot_since=since)


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _run(app, job, now: datetime) -> list[int]:
    with app.app_context():
        made = job.record_due(now)
    from core.services.mail import outbox

    with app.app_context():
        for message_id in made:
            outbox.start(message_id)
    run_due_mail(app)
    return made


def _team(app, factory, *, digest_hour: int = 9, zone: str = "Europe/Paris", locale: str | None = None):
    owner = factory.user(name="Ada")
    changes = {"time_zone": zone, "notifications": {"digest_hour": digest_hour}}
    if locale:
        changes["locale"] = locale
    assert owner.patch("/users/me", json=changes).status_code == 200
    workspace = factory.workspace(owner, "Acme Growth")
    with app.app_context():
        account_id = make_account(workspace["id"]).id
    return owner, workspace, account_id


def test_the_digest_comes_at_the_chosen_local_hour_once_a_day(app, factory, smtp_server):
    owner, workspace, account = _team(app, factory)
    with app.app_context():
        _hot(account, "alice", 91, MORNING - timedelta(hours=3))
        _hot(account, "bob", 85, MORNING - timedelta(hours=5))
        _hot(account, "old_news", 99, MORNING - timedelta(days=3))  # hot before the last 24 h
        target = _hot(account, "carol", 70, MORNING - timedelta(days=3))
        db.session.add(
            DirectMessage(
                workspace_id=workspace["id"],
                social_account_id=account,
                target_id=target.id,
                kind="message",
                text="Hello",
            )
        )
        db.session.commit()

    assert _run(app, digest_mail, MORNING - timedelta(minutes=10)) == []  # 08:55 in Paris
    assert len(_run(app, digest_mail, MORNING)) == 1
    assert _run(app, digest_mail, MORNING + timedelta(minutes=15)) == []  # same day: already sent
    (mail,) = smtp_server.messages
    assert mail["To"] == owner.email and mail["Subject"] == "Your VistaFlow digest for Dec 3, 2026"
    body = _body(mail)
    assert "Acme Growth" in body
    assert "2 new hot targets" in body and "Hottest: @alice (91), @bob (85)" in body
    assert "old_news" not in body
    assert "1 DM awaiting approval" in body and "0 replies" in body and "0 leads moved" in body
    assert f"/w/{workspace['id']}/targets?hot_only=on" in body
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Hottest: @alice (91), @bob (85)<br>" in html

    assert len(_run(app, digest_mail, MORNING + timedelta(days=1))) == 1  # the next morning


def test_the_digest_speaks_french_and_skips_quiet_days_and_switched_off_people(app, factory, smtp_server):
    owner, _workspace, account = _team(app, factory, digest_hour=7, zone="UTC", locale="fr")
    at_seven = MORNING.replace(hour=7)
    assert _run(app, digest_mail, at_seven) == []  # nothing happened: no mail
    with app.app_context():
        _hot(account, "alice", 91, at_seven - timedelta(hours=1))
    _run(app, digest_mail, at_seven)
    (mail,) = smtp_server.messages
    assert mail["Subject"] == "Votre résumé VistaFlow du 3 déc. 2026"
    assert "1 nouvelle cible chaude" in _body(mail)

    owner.patch("/users/me", json={"notifications": {"email_digest": False}})
    assert _run(app, digest_mail, at_seven + timedelta(days=1)) == []


def test_hot_alerts_are_batched_fifteen_minutes_apart(app, factory, smtp_server):
    owner, _workspace, account = _team(app, factory)
    outsider = factory.user()
    factory.workspace(outsider, "Elsewhere")
    start = datetime.now(UTC)
    with app.app_context():
        _hot(account, "alice", 91, start - timedelta(minutes=2))
        _hot(account, "bob", 85, start - timedelta(minutes=1))

    assert len(_run(app, hot_alerts, start)) == 1
    (first,) = smtp_server.messages
    assert first["To"] == owner.email  # not the outsider: not their workspace
    assert first["Subject"] == "2 targets turned hot"
    assert "@alice, score 91, in Acme Growth" in _body(first) and "@bob" in _body(first)

    with app.app_context():
        _hot(account, "carol", 77, start + timedelta(minutes=4))
        _hot(account, "dan", 75, start + timedelta(minutes=6))
    assert _run(app, hot_alerts, start + timedelta(minutes=5)) == []
    assert _run(app, hot_alerts, start + timedelta(minutes=10)) == []  # within 15 min of the last mail
    assert len(_run(app, hot_alerts, start + timedelta(minutes=16))) == 1
    second = smtp_server.messages[1]
    assert second["Subject"] == "2 targets turned hot"
    assert "@carol" in _body(second) and "@dan" in _body(second) and "@alice" not in _body(second)
    assert _run(app, hot_alerts, start + timedelta(minutes=40)) == []  # nothing new
    assert len(smtp_server.messages) == 2


def test_one_click_unsubscribe_turns_that_switch_off(app, client, factory, smtp_server):
    owner, _workspace, account = _team(app, factory)
    start = datetime.now(UTC)
    with app.app_context():
        _hot(account, "alice", 91, start - timedelta(minutes=1))
    _run(app, hot_alerts, start)
    (mail,) = smtp_server.messages
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(http://\S+)>", mail["List-Unsubscribe"]).group(1)
    assert url in _body(mail)  # the same link in the footer, for people
    path = url.split("//", 1)[1].split("/", 1)[1]

    page = client.get("/" + path)  # opening (as a mail scanner does) only asks
    assert page.status_code == 200 and "Stop sending hot-target alerts to" in page.get_data(as_text=True)
    assert owner.get("/users/me").get_json()["notifications"]["hot_target_alerts"] is True

    one_click = client.post("/" + path, data={"List-Unsubscribe": "One-Click"})  # no session, no CSRF token
    assert one_click.status_code == 204
    notifications = owner.get("/users/me").get_json()["notifications"]
    assert notifications["hot_target_alerts"] is False and notifications["email_digest"] is True
    with app.app_context():
        _hot(account, "bob", 80, start + timedelta(minutes=20))
    assert _run(app, hot_alerts, start + timedelta(minutes=30)) == []

    assert client.post("/mail/unsubscribe/forged-token").status_code == 404
    from_button = client.post("/" + path)  # the page's button: a page that says it is done
    assert from_button.status_code == 200 and "no longer receives hot-target alerts" in from_button.get_data(
        as_text=True
    )


def test_a_second_scheduler_records_nothing_twice(app, factory):
    owner, _workspace, _account = _team(app, factory)
    with app.app_context():
        from core.models import User

        user = db.session.get(User, owner.user["id"])
        letter = hot_alerts.letter_for(user, [])
        now = datetime.now(UTC)
        kwargs = dict(switch="hot_target_alerts", key="hot:test:1", at=now)
        assert subscriptions.record_once("hot_alert", user, letter, **kwargs) is not None
        db.session.commit()
        assert subscriptions.record_once("hot_alert", user, letter, **kwargs) is None
        db.session.commit()
        assert len(db.session.scalars(select(MailMessage).where(MailMessage.dedupe_key == "hot:test:1")).all()) == 1


def test_suspended_workspaces_and_people_get_no_mail(app, factory, smtp_server):
    owner, workspace, account = _team(app, factory)
    start = datetime.now(UTC)
    with app.app_context():
        from core.models import User, Workspace

        _hot(account, "alice", 91, start - timedelta(minutes=1))
        db.session.get(Workspace, workspace["id"]).suspended_at = start
        db.session.commit()
    assert _run(app, hot_alerts, start) == []
    with app.app_context():
        db.session.get(Workspace, workspace["id"]).suspended_at = None
        db.session.get(User, owner.user["id"]).suspended_at = start
        db.session.commit()
    assert _run(app, hot_alerts, start) == []
    with app.app_context():
        db.session.get(User, owner.user["id"]).suspended_at = None
        db.session.commit()
    assert len(_run(app, hot_alerts, start)) == 1  # both lifted: the alert goes
