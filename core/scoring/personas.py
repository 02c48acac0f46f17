"""Named people whose hot/not-hot result the default settings promise (issue 26), shown in the settings preview.

Each persona is what they wrote (read by core.intent.classify, as at ingest), on which kind of
interaction, how long ago and on which post; `hot` is the result the defaults must give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.intent import classify
from core.scoring import formula
from core.scoring.settings import ScoringSettings


@dataclass(frozen=True)
class Said:
    kind: str
    text: str
    hours_ago: float
    post: str | None = None
    hidden: bool = False


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    hot: bool
    said: tuple[Said, ...]


@dataclass(frozen=True)
class PersonaScore:
    persona: Persona
    score: int
    hot: bool


PERSONAS = (
    Persona(
        "clear_buyer",
        "The clear buyer: asks to order in a comment",
        True,
        (Said("comment", "I want to buy this one, how do I order?", 0.1, "p1"),),
    ),
    Persona(
        "dm_question",
        "The DM question: asks the price in a direct message",
        True,
        (Said("message", "Bonjour, c'est combien le coffret ?", 0.2),),
    ),
    Persona(
        "two_questions",
        "The keen asker: buying intent in two comments within 48 h",
        True,
        (Said("comment", "how much is it? 😍", 40, "p1"), Said("comment", "le lien svp", 0.5, "p2")),
    ),
    Persona(
        "repeat_fan",
        "The repeat fan: compliments on every post and in DMs",
        False,
        tuple(Said("comment", "love it 😍", 12 * n, f"p{n}") for n in range(8))
        + tuple(Said("message", "you are the best, so beautiful", 20 * n + 1) for n in range(4))
        + (Said("mention", "@acme so pretty", 3, "p9"),),
    ),
    Persona(
        "one_off_question",
        "The one-off question: asks the price once in a comment",
        False,
        (Said("comment", "how much?", 1, "p1"),),
    ),
    Persona(
        "complainer",
        "The complainer: angry comments, one hidden by the team",
        False,
        (
            Said("comment", "Still waiting, worst service ever 😡", 30, "p1"),
            Said("comment", "nobody answers, terrible", 20, "p2"),
            Said("comment", "scam!!!", 10, "p3", hidden=True),
            Said("reply", "still nothing", 2, "p1"),
        ),
    ),
    Persona(
        "spammer",
        "The spammer: the same promotion on many posts, hidden by the team",
        False,
        tuple(Said("comment", "DM me for cheap followers 💰", 0.1 * n, f"p{n % 6}", hidden=True) for n in range(30)),
    ),
    Persona(
        "opted_out",
        "The opted-out: asked the price, then asked to stop",
        False,
        (Said("message", "how much is it?", 5), Said("message", "stop", 1)),
    ),
)


def facts_of(persona: Persona, now: datetime) -> list[formula.Fact]:
    """What the persona wrote, as scoring sees it (read by the same classifier as ingest)."""
    facts = []
    for said in persona.said:
        verdict = classify(said.text)
        facts.append(
            formula.Fact(
                kind=said.kind,
                occurred_at=now - timedelta(hours=said.hours_ago),
                has_intent=verdict.has_intent,
                is_opt_out=verdict.is_opt_out,
                is_hidden=said.hidden,
                media_id=said.post,
                intent_reason=verdict.reasons[0][:200] if verdict.reasons else None,
            )
        )
    return facts


def score_all(settings: ScoringSettings, now: datetime) -> list[PersonaScore]:
    """Each persona's score and hot state under `settings` (the settings page shows them beside the expected)."""
    scored = []
    for persona in PERSONAS:
        result = formula.compute(facts_of(persona, now), settings, now)
        scored.append(PersonaScore(persona, result.score, formula.is_hot_after(result.score, False, settings)))
    return scored
