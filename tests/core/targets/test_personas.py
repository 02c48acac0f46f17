"""The default settings match intent: the named personas are hot or not as promised, in the Python
reference and in the SQL rescore (texts read by core.intent.classify, as at ingest)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import Target
from core.scoring import personas
from core.scoring.settings import ScoringSettings
from core.services.targets.rescore import rescore_workspace
from tests.factories import make_account, make_interaction, make_target

EXPECTED = {
    "clear_buyer": True,
    "dm_question": True,
    "two_questions": True,
    "repeat_fan": False,
    "one_off_question": False,
    "complainer": False,
    "spammer": False,
    "opted_out": False,
}


def test_every_persona_has_its_promised_result():
    assert {p.key: p.hot for p in personas.PERSONAS} == EXPECTED


@pytest.mark.parametrize("persona", personas.PERSONAS, ids=lambda p: p.key)
def test_default_settings_make_each_persona_hot_or_not(persona):
    [scored] = [s for s in personas.score_all(ScoringSettings(), utcnow()) if s.persona.key == persona.key]
    assert scored.hot is EXPECTED[persona.key], f"{persona.name}: score {scored.score}"


def test_compliments_alone_never_reach_hot_however_many():
    settings = ScoringSettings()
    # Without intent, conversation and engagement caps together stay under the hot threshold.
    caps = settings.group_caps
    assert caps.conversation + caps.engagement < settings.hot_threshold


def test_sql_rescore_gives_the_personas_the_same_result(app, factory):
    ws = factory.workspace(factory.user())["id"]
    now = utcnow()
    with app.app_context():
        account = make_account(ws)
        ids = {}
        for persona in personas.PERSONAS:
            target = make_target(account, username=persona.key)
            ids[persona.key] = target.id
            for fact, said in zip(personas.facts_of(persona, now), persona.said, strict=True):
                make_interaction(
                    target,
                    kind=said.kind,
                    text=said.text,
                    occurred_at=fact.occurred_at,
                    media_id=said.post,
                    is_hidden=said.hidden,
                )
        rescore_workspace(ws, full=True, now=now)
        reference = {s.persona.key: s.score for s in personas.score_all(ScoringSettings(), now)}
        for key, target_id in ids.items():
            target = db.session.get(Target, target_id)
            assert (target.is_hot, target.score) == (EXPECTED[key], reference[key]), key
        buyer = db.session.scalar(select(Target).where(Target.username == "clear_buyer"))
        assert buyer.score_reasons[0].startswith(
            ("asked where to buy", "said they want it")
        )  # still explained in words
