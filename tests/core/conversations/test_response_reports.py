"""Issue 20, reports: first-response time and reply rate per member and per account, on the dashboard."""

from __future__ import annotations

from datetime import timedelta

from core.db import db, utcnow
from core.models import Conversation, DirectMessage, Target
from core.services.conversations import reports
from core.services.identity.actors import Actor
from tests.factories import make_account, make_interaction, make_target


def _sent(target: Target, at, *, by: int | None, via: str | None = None) -> None:
    db.session.add(
        DirectMessage(
            workspace_id=target.workspace_id,
            social_account_id=target.social_account_id,
            target_id=target.id,
            kind="message",
            text="Hello",
            status="sent",
            sent_at=at,
            created_by_user_id=by,
            approved_via=via,
        )
    )
    db.session.commit()


def _shop(app, factory):
    team = factory.rivals(owner_name="Olivia Owner", with_member=True)
    start = utcnow() - timedelta(days=2)
    with app.app_context():
        account = make_account(team["ws"], username="maison.ig")
        other = make_account(team["ws"], username="maison.shop")
        owner_id, member_id = team["owner"].user["id"], team["member"].user["id"]
        quick = make_target(account, username="quick")
        make_interaction(quick, kind="message", text="Bonjour", occurred_at=start)
        make_interaction(quick, kind="message", text="Vous êtes là ?", occurred_at=start + timedelta(minutes=5))
        _sent(quick, start + timedelta(minutes=30), by=owner_id)  # one turn, answered in 30 min
        waiting = make_target(account, username="waiting")
        make_interaction(waiting, kind="message", text="Prix ?", occurred_at=start + timedelta(hours=1))
        db.session.add(
            Conversation(
                workspace_id=team["ws"],
                social_account_id=account.id,
                target_id=waiting.id,
                assignee_user_id=member_id,
                last_item_at=start,
            )
        )
        db.session.commit()
        from_app = make_target(other, username="from_app")
        make_interaction(from_app, kind="story_reply", text="😍", occurred_at=start + timedelta(hours=2))
        _sent(from_app, start + timedelta(hours=4), by=None, via="instagram_app")  # answered from the phone
        commenter = make_target(account, username="commenter")
        make_interaction(commenter, kind="comment", text="nice", occurred_at=start)  # public: not a turn
        stranger_account = make_account(team["other"])
        make_interaction(make_target(stranger_account), kind="message", occurred_at=start)  # another workspace
    return team


def test_turns_per_member_and_per_account(app, factory):
    team = _shop(app, factory)
    with app.app_context():
        from core.models import User

        actor = Actor.for_user(db.session.get(User, team["owner"].user["id"]), door="console")
        found = reports.responses(team["ws"], actor=actor, since=utcnow() - timedelta(days=7), until=utcnow())
        accounts = {row.label: row for row in found.by_account}
        assert set(accounts) == {"@maison.ig", "@maison.shop"}
        ig = accounts["@maison.ig"]
        assert (ig.turns, ig.answered) == (2, 1) and ig.reply_rate == 0.5
        assert ig.median_first_response == timedelta(minutes=30)
        shop = accounts["@maison.shop"]
        assert (shop.turns, shop.answered, shop.median_first_response) == (1, 1, timedelta(hours=2))
        members = {row.label: row for row in found.by_member}
        assert set(members) == {"Olivia Owner", "Test User"}
        assert members["Olivia Owner"].reply_rate == 1.0
        assert (members["Test User"].turns, members["Test User"].answered) == (1, 0)  # the assignee's turn waits
        assert members["Test User"].median_first_response is None

        later = reports.responses(team["ws"], actor=actor, since=utcnow() - timedelta(hours=1), until=utcnow())
        assert later.is_empty


def test_the_dashboard_shows_them_in_the_readers_language(app, factory, console):
    team = _shop(app, factory)
    team["owner"].patch("/users/me", json={"locale": "fr"})
    console.login(team["owner"].email)
    html = console.get(f"/w/{team['ws']}").get_data(as_text=True)
    section = html[html.index('id="responses"') :].replace("\xa0", " ").replace("\u202f", " ")
    assert "Répondre aux personnes" in section
    assert "@maison.ig" in section and "50 %" in section and "30 min" in section and "2 h" in section
    assert "Olivia Owner" in section and "100 %" in section


def test_members_of_another_workspace_cannot_read_them(app, factory):
    team = _shop(app, factory)
    with app.app_context():
        from core.errors import NotFound
        from core.models import User

        stranger = Actor.for_user(db.session.get(User, team["stranger"].user["id"]), door="console")
        try:
            reports.responses(team["ws"], actor=stranger, since=utcnow() - timedelta(days=7), until=utcnow())
        except NotFound:
            pass
        else:
            raise AssertionError("a stranger read another workspace's response times")
