"""The set-based SQL rescore against the Python reference, crossings, events, auto leads, modes."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import Interaction, Lead, LeadEvent, OutboxEvent, Target, Workspace
from core.scoring import formula
from core.services.targets.rescore import rescore_workspace
from core.services.workspaces.settings import read as read_settings
from tests.factories import make_account, make_interaction, make_target
from tests.scoring_legacy import LEGACY_SETTINGS

KINDS = ["comment", "comment", "comment", "reply", "mention", "message", "story_reply", "story_mention"]
TEXTS = ["love it", "how much?", "prix svp", "stop", "arrête", "lien ?", "😍😍", "where to buy", "nice", "dispo en M ?"]


@pytest.fixture
def workspace(app, factory):
    owner = factory.user()
    ws = factory.workspace(owner)
    with app.app_context():
        account = make_account(ws["id"])
        _set_settings(ws["id"], scoring=LEGACY_SETTINGS)  # the numbers these tests were written with
        return {"owner": owner, "id": ws["id"], "account_id": account.id}


def _account(workspace):
    from core.models import SocialAccount

    return db.session.get(SocialAccount, workspace["account_id"])


def _set_settings(workspace_id: int, **changes) -> None:
    ws = db.session.get(Workspace, workspace_id)
    ws.settings = {**ws.settings, **changes}
    db.session.commit()


def _reference(target_id: int, settings, now) -> formula.Score:
    facts = [
        formula.Fact(i.kind, i.occurred_at, i.has_intent, i.is_opt_out, i.is_hidden, i.media_id, i.intent_reason)
        for i in db.session.scalars(select(Interaction).where(Interaction.target_id == target_id))
    ]
    return formula.compute(facts, settings, now)


def test_sql_matches_python_reference_on_random_data(app, workspace):
    rng = random.Random(5)
    now = utcnow()
    with app.app_context():
        account = _account(workspace)
        targets = [make_target(account) for _ in range(300)]
        rows = []
        for target in targets:
            for _ in range(rng.randint(0, 14)):
                text = rng.choice(TEXTS)
                from core.intent import classify

                verdict = classify(text)
                rows.append(
                    Interaction(
                        workspace_id=target.workspace_id,
                        social_account_id=account.id,
                        target_id=target.id,
                        platform="instagram",
                        kind=rng.choice(KINDS),
                        platform_id=f"p{len(rows)}",
                        text=text,
                        media_id=rng.choice(["m1", "m2", "m3", "m4", None]),
                        occurred_at=now - timedelta(seconds=rng.uniform(-3600, 40 * 86400)),
                        source="poll",
                        has_intent=verdict.has_intent,
                        intent_reason=verdict.reasons[0] if verdict.reasons else None,
                        is_opt_out=verdict.is_opt_out,
                        is_hidden=rng.random() < 0.05,
                    )
                )
        # Bursts on one day, so the per-day caps bind.
        for target in targets[:40]:
            for n in range(8):
                rows.append(
                    Interaction(
                        workspace_id=target.workspace_id,
                        social_account_id=account.id,
                        target_id=target.id,
                        platform="instagram",
                        kind=rng.choice(KINDS),
                        platform_id=f"b{target.id}-{n}",
                        text="how much",
                        media_id=f"m{n}",
                        occurred_at=now - timedelta(hours=3, minutes=n),
                        source="poll",
                        has_intent=True,
                        intent_reason="asked for the price",
                    )
                )
        db.session.add_all(rows)
        db.session.commit()
        _set_settings(workspace["id"], scoring={"half_life_days": 5})

        result = rescore_workspace(workspace["id"], full=True, now=now)
        assert result.scored == 300

        settings = read_settings(db.session.get(Workspace, workspace["id"]).settings).scoring
        assert settings.half_life_days == 5
        scores = []
        for target in db.session.scalars(select(Target).where(Target.workspace_id == workspace["id"])):
            expected = _reference(target.id, settings, now)
            assert target.score == expected.score, (target.id, target.score_breakdown, expected)
            for signal, value in expected.breakdown.items():
                assert abs(target.score_breakdown[signal] - value) <= 0.051, (target.id, signal)
            assert target.is_hot == (expected.score >= settings.hot_threshold)
            assert target.needs_rescore is False
            scores.append(target.score)
        assert len(set(scores)) > 20 and max(scores) >= 70 and min(scores) == 0


def _hot_events(workspace_id: int) -> list[OutboxEvent]:
    return list(
        db.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.workspace_id == workspace_id, OutboxEvent.type == "target.hot")
            .order_by(OutboxEvent.id)
        )
    )


def test_exactly_one_target_hot_event_per_crossing(app, workspace):
    now = utcnow()
    with app.app_context():
        target = make_target(_account(workspace))
        target_id = target.id
        # Two messages and a price question today: 25 + 25 + 20 = 70, hot.
        make_interaction(target, kind="message", text="hello", occurred_at=now - timedelta(minutes=30))
        make_interaction(target, kind="message", text="hi again", occurred_at=now - timedelta(minutes=20))
        make_interaction(target, kind="comment", text="combien ça coûte ?", occurred_at=now - timedelta(minutes=10))

        first = rescore_workspace(workspace["id"], full=False, now=now)
        assert (first.became_hot, first.left_hot) == (1, 0)
        target = db.session.get(Target, target_id)
        assert target.score == 70 and target.is_hot and target.hot_since is not None
        assert "asked for the price: “combien ça coûte ?”" in target.score_reasons
        assert "2 messages in 48 h" in target.score_reasons
        [event] = _hot_events(workspace["id"])
        assert event.data == {
            "target_id": target_id,
            "social_account_id": workspace["account_id"],
            "score": 70,
            "reasons": target.score_reasons,
        }
        assert event.ordering_key == f"target:{target_id}"

        # Stays hot while above 60 (a day later: 70 x 0.5^(1/7) = 63): no new event.
        again = rescore_workspace(workspace["id"], full=True, now=now + timedelta(days=1))
        assert (again.became_hot, again.left_hot) == (0, 0)
        assert db.session.get(Target, target_id).is_hot and db.session.get(Target, target_id).score == 63
        assert len(_hot_events(workspace["id"])) == 1

        # Drops below 60 two days later: leaves hot (no event for leaving).
        cooled = rescore_workspace(workspace["id"], full=True, now=now + timedelta(days=2))
        assert (cooled.became_hot, cooled.left_hot) == (0, 1)
        target = db.session.get(Target, target_id)
        assert not target.is_hot and target.hot_since is None and target.score < 60

        # New interest pushes it over 70 again: a second crossing, a second event.
        later = now + timedelta(days=2, hours=1)
        make_interaction(target, kind="message", text="still available?", occurred_at=later)
        target.needs_rescore = True  # what ingest does
        db.session.commit()
        crossed = rescore_workspace(workspace["id"], full=False, now=later)
        assert crossed.became_hot == 1
        assert len(_hot_events(workspace["id"])) == 2
        # Replaying the same pass changes nothing.
        assert rescore_workspace(workspace["id"], full=True, now=later).became_hot == 0
        assert len(_hot_events(workspace["id"])) == 2


def test_auto_lead_from_hot_creates_one_lead_with_event(app, workspace):
    now = utcnow()
    with app.app_context():
        _set_settings(workspace["id"], auto_lead_from_hot=True)
        account = _account(workspace)
        hot = make_target(account)
        cold = make_target(account)
        hot_id, cold_id = hot.id, cold.id
        for minutes in (5, 6):
            make_interaction(hot, kind="message", text="bonjour", occurred_at=now - timedelta(minutes=minutes))
        make_interaction(hot, kind="comment", text="prix ?", occurred_at=now - timedelta(minutes=7))
        make_interaction(cold, kind="comment", text="nice", occurred_at=now)

        result = rescore_workspace(workspace["id"], full=True, now=now)
        assert result.became_hot == 1 and result.leads_created == 1
        [lead] = db.session.scalars(select(Lead).where(Lead.workspace_id == workspace["id"])).all()
        assert lead.target_id == hot_id and lead.status == "new" and lead.source == "auto_hot"
        [line] = db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id)).all()
        assert line.kind == "created" and line.door == "system" and line.details == {"source": "auto_hot"}
        created = db.session.scalars(select(OutboxEvent).where(OutboxEvent.type == "lead.created")).all()
        assert [e.data for e in created] == [
            {"lead_id": lead.id, "target_id": hot_id, "status": "new", "source": "auto_hot"}
        ]
        assert db.session.scalar(select(func.count()).select_from(Lead).where(Lead.target_id == cold_id)) == 0


def test_no_lead_when_auto_lead_is_off(app, workspace):
    now = utcnow()
    with app.app_context():
        target = make_target(_account(workspace))
        for minutes in (5, 6):
            make_interaction(target, kind="message", text="hello", occurred_at=now - timedelta(minutes=minutes))
        make_interaction(target, kind="comment", text="where to buy?", occurred_at=now)
        assert rescore_workspace(workspace["id"], full=True, now=now).became_hot == 1
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_incremental_rescores_only_flagged_targets_and_full_applies_decay(app, workspace):
    now = utcnow()
    with app.app_context():
        account = _account(workspace)
        a, b = make_target(account), make_target(account)
        a_id, b_id = a.id, b.id
        make_interaction(a, kind="message", text="hi", occurred_at=now)
        make_interaction(b, kind="message", text="hi", occurred_at=now)
        assert rescore_workspace(workspace["id"], full=False, now=now).scored == 2
        assert rescore_workspace(workspace["id"], full=False, now=now).scored == 0  # nothing flagged

        week = now + timedelta(days=7)
        make_interaction(db.session.get(Target, a_id), kind="comment", text="nice", occurred_at=week)
        db.session.get(Target, a_id).needs_rescore = True  # what ingest does
        db.session.commit()
        result = rescore_workspace(workspace["id"], full=False, now=week)
        assert result.scored == 1
        assert db.session.get(Target, a_id).score == round(25 / 2 + 5)  # decayed message + new comment
        assert db.session.get(Target, b_id).score == 25  # untouched by the incremental pass

        full = rescore_workspace(workspace["id"], full=True, now=week)
        assert full.scored == 2
        assert db.session.get(Target, b_id).score == 13  # 25 x 0.5 = 12.5, rounded half up
        assert db.session.get(Target, a_id).score == 18


def test_other_workspaces_are_not_touched(app, factory, workspace):
    now = utcnow()
    other_owner = factory.user()
    other = factory.workspace(other_owner, name="Other")
    with app.app_context():
        theirs = make_target(make_account(other["id"]))
        theirs_id = theirs.id
        make_interaction(theirs, kind="message", text="hi", occurred_at=now)
        mine = make_target(_account(workspace))
        make_interaction(mine, kind="message", text="hi", occurred_at=now)
        assert rescore_workspace(workspace["id"], full=True, now=now).scored == 1
        theirs = db.session.get(Target, theirs_id)
        assert theirs.score == 0 and theirs.needs_rescore is True
