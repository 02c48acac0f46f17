"""Which of the console's languages a person writes in, guessed from the words of their latest comments."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.db import db
from core.models import Interaction, Target

# Short function words are the surest sign of a language in a one-line comment.
_WORDS = {
    "en": frozenset(
        re.findall(
            r"\S+",
            "the and is are you your this that it for with what how where can i me my want price much "
            "please thanks do does to of in on have love buy",
        )
    ),
    "fr": frozenset(
        re.findall(
            r"\S+",
            "le la les et est sont vous votre vos ce cette c'est pour avec quel quelle comment où je moi "
            "mon ma veux prix combien merci svp stp de des du un une sur avez j'adore acheter",
        )
    ),
}
_TOKEN = re.compile(r"[a-zàâçéèêëîïôûùüÿœæ']+")
_ACCENTED = re.compile(r"[àâçéèêëîïôûùüÿœ]")
RECENT = 5


def guess(text: str) -> str | None:
    """'en' or 'fr' when the text leans clearly to one; None when it is too short or mixed to tell."""
    tokens = _TOKEN.findall((text or "").lower())
    counts = {language: sum(token in words for token in tokens) for language, words in _WORDS.items()}
    counts["fr"] += len(_ACCENTED.findall(text.lower())) > 0
    best = max(counts, key=counts.get)
    other = min(counts, key=counts.get)
    return best if counts[best] >= 1 and counts[best] > counts[other] else None


def of_target(target: Target) -> str | None:
    """The language of the person's latest comments together, or None."""
    texts = db.session.scalars(
        select(Interaction.text)
        .where(Interaction.target_id == target.id, Interaction.text.is_not(None))
        .order_by(Interaction.occurred_at.desc())
        .limit(RECENT)
    )
    return guess(" ".join(texts))
