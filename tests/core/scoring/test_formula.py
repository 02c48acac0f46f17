"""The reference formula: decay, per-day caps, group caps, negative signals, hysteresis, intent in
English and French through the ingest reader, reasons in words; and the same SQL on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.intent import classify
from core.scoring import formula, reasons
from core.scoring.settings import ScoringSettings
from tests.scoring_legacy import LEGACY

NOW = datetime(2025, 6, 15, 12, tzinfo=UTC)
S = LEGACY


def fact(kind="comment", days=0.0, text=None, **kw) -> formula.Fact:
    if text is not None:
        verdict = classify(text)
        kw.setdefault("has_intent", verdict.has_intent)
        kw.setdefault("is_opt_out", verdict.is_opt_out)
    return formula.Fact(kind=kind, occurred_at=NOW - timedelta(days=days), **kw)


def score(*facts, settings=S) -> formula.Score:
    return formula.compute(facts, settings, NOW)


def test_decay_halves_every_half_life():
    assert score(fact("message")).breakdown["message"] == 25
    assert score(fact("message", days=7)).breakdown["message"] == 12.5
    assert score(fact("message", days=14)).breakdown["message"] == 6.2  # 6.25 rounded half-even
    assert score(fact("message", days=14)).score == 6
    quick = LEGACY.model_copy(update={"half_life_days": 1})
    assert score(fact("message", days=2), settings=quick).breakdown["message"] == 6.2


def test_future_dates_count_as_now():
    assert score(fact("message", days=-1)).breakdown["message"] == 25


def test_per_day_cap_keeps_a_burst_from_maxing_the_score():
    burst = [fact("comment", days=0.01 * n, media_id="p1") for n in range(10)]
    assert score(*burst).breakdown["comment"] == pytest.approx(15, abs=0.1)  # 3 per day count
    spread = [fact("comment", days=n, media_id="p1") for n in range(3)]
    assert score(*spread).counts["comment"] == 3


def test_group_cap_and_overall_cap():
    msgs = [fact("message", days=n) for n in range(6)]
    result = score(*msgs)
    assert result.breakdown["message"] == 60 and result.score == 60  # conversation cap
    big = (
        msgs
        + [fact("comment", text="how much?", days=n) for n in range(4)]
        + [fact("comment", media_id=f"p{n}") for n in range(10)]
    )
    assert score(*big).score == 100


def test_negative_signals_lower_the_score_but_never_below_zero():
    base = [fact("message"), fact("message")]
    assert score(*base).score == 50
    assert score(*base, fact("comment", is_hidden=True)).score == 40
    assert score(*base, fact("message", text="stop")).score == 0
    assert score(*base, fact("message", text="stop")).breakdown["opt_out"] == -100
    # "arrête" in a public comment is an exclamation, not an opt-out addressed to us (as at ingest).
    assert score(fact("comment", text="arrête !")).breakdown["opt_out"] == 0


@pytest.mark.parametrize(
    "text,reason",
    [
        ("How much is it?", "asked for the price"),
        ("c'est combien ?", "asked for the price"),
        ("Prix svp 😍", "asked for the price"),
        ("link pls", "asked for a link"),
        ("le lien ?", "asked for a link"),
        ("où acheter ça", "asked where to buy"),
        ("DM me", "asked for a private message"),
        ("en mp stp", "asked for a private message"),
        ("dispo en 38 ?", "asked about availability"),
        ("c'est quoi la matière ?", "asked for information"),
    ],
)
def test_intent_in_english_and_french_scores_as_intent(text, reason):
    verdict = classify(text)
    quoted = f"{reason}: “{text}”"  # the reason quotes what the person wrote
    assert verdict.has_intent and verdict.reasons[0] == quoted
    result = score(fact("comment", text=text))
    assert result.breakdown["intent"] == 20 and result.breakdown["comment"] == 0
    words = reasons.build(result.breakdown, result.counts, result.recent, result.posts, [verdict.reasons[0]])
    assert words == [quoted]


def test_plain_comment_is_not_intent():
    assert score(fact("comment", text="love it")).breakdown == {
        **dict.fromkeys(type(S.weights).model_fields, 0.0),
        "comment": 5.0,
    }


def test_repeat_posts_counts_posts_beyond_the_first():
    result = score(fact(media_id="a"), fact(media_id="b", days=1), fact(media_id="c", days=2), fact("message"))
    assert result.posts == 3
    assert result.breakdown["repeat_posts"] == pytest.approx(6 * (0.5 ** (1 / 7) + 0.5 ** (2 / 7)), abs=0.05)
    assert score(fact(media_id="a"), fact(media_id="a", days=1)).breakdown["repeat_posts"] == 0


def test_hysteresis():
    assert formula.is_hot_after(70, False, S) is True
    assert formula.is_hot_after(69, False, S) is False
    assert formula.is_hot_after(65, True, S) is True
    assert formula.is_hot_after(60, True, S) is True
    assert formula.is_hot_after(59, True, S) is False


def test_reasons_in_words_by_weight():
    result = score(fact(media_id="a"), fact(media_id="b", days=0.5), fact(media_id="c", days=0.2), fact("mention"))
    words = reasons.build(result.breakdown, result.counts, result.recent, result.posts)
    assert words[0] == "3 comments in 48 h" and "engaged on 3 posts" in words and "mentioned you in 48 h" in words


def test_settings_validation():
    with pytest.raises(ValueError, match="cool_threshold"):
        ScoringSettings(hot_threshold=50, cool_threshold=50)
    with pytest.raises(ValueError, match="opt_out"):
        ScoringSettings.model_validate({"weights": {"opt_out": 10}})


def test_same_sql_runs_on_sqlite(tmp_path):
    """The rescore statement on SQLite (power/floor/least/greatest registered on connect)."""
    from sqlalchemy import select

    from core.db import db
    from core.models import Target
    from core.services.targets.rescore import rescore_workspace
    from core.services.workspaces.settings import read
    from tests.factories import make_account, make_interaction, make_target
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/s.db", "TESTING": True, "REDIS_URL": None})
    with app.app_context():
        db.create_all()
        from core.models import Workspace

        ws = Workspace(name="Solo", slug="solo", settings={})
        db.session.add(ws)
        db.session.commit()
        now = datetime.now(UTC)
        target = make_target(make_account(ws.id))
        facts = [
            ("message", "hello", 0.1, None),
            ("message", "re", 3, None),
            ("comment", "prix ?", 1, "a"),
            ("comment", "nice", 2, "b"),
            ("reply", "stop", 0.5, "b"),
        ]
        for kind, text, days, media in facts:
            make_interaction(target, kind=kind, text=text, occurred_at=now - timedelta(days=days), media_id=media)
        result = rescore_workspace(ws.id, full=True, now=now)
        assert result.scored == 1
        stored = db.session.scalar(select(Target))
        expected = formula.compute(
            [
                formula.Fact(k, now - timedelta(days=d), classify(t).has_intent, classify(t).is_opt_out, False, m)
                for k, t, d, m in facts
            ],
            read({}).scoring,
            now,
        )
        assert stored.score == expected.score
        assert stored.score_breakdown == pytest.approx(expected.breakdown, abs=0.051)
        assert "asked not to be contacted" in stored.score_reasons
