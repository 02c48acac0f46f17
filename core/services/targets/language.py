"""Which language a person writes in: detected from their latest comments and messages, or set by the team."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.intent.language import LANGUAGES, detect
from core.models import Interaction, Role, Target
from core.services import audit
from core.services.identity.access import get_scoped
from core.services.identity.actors import Actor

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


def _small_words(text: str) -> str | None:
    """'en' or 'fr' when the text leans clearly to one by its small words; None when it is too short or mixed."""
    tokens = _TOKEN.findall((text or "").lower())
    counts = {language: sum(token in words for token in tokens) for language, words in _WORDS.items()}
    counts["fr"] += len(_ACCENTED.findall(text.lower())) > 0
    best = max(counts, key=counts.get)
    other = min(counts, key=counts.get)
    return best if counts[best] >= 1 and counts[best] > counts[other] else None


def guess(text: str) -> str | None:
    """One of the six languages, or None: the shipped model when it is confident, else the small words."""
    return detect(text) or _small_words(text)


def of_target(target: Target, *, remember: bool = True) -> str | None:
    """The language the team set for the person, else the one their latest texts are written in (stored on the
    target for the caller's commit, unless `remember` is False: a page only shows it)."""
    if target.language_set:
        return target.language
    texts = db.session.scalars(
        select(Interaction.text)
        .where(Interaction.target_id == target.id, Interaction.text.is_not(None))
        .order_by(Interaction.occurred_at.desc())
        .limit(RECENT)
    )
    found = guess(" ".join(texts))
    if remember and found and found != target.language:
        target.language = found  # kept for lists and exports; the caller's commit stores it
    return found or target.language


def set_language(target_id: int, language: str | None, *, actor: Actor, workspace_id: int | None = None) -> Target:
    """Set the language the person is written to in; None goes back to detecting it (commits)."""
    target = get_scoped(Target, target_id, actor, Role.MEMBER, what="Target", workspace_id=workspace_id)
    if language not in (None, "") and language not in LANGUAGES:
        raise Invalid(
            _("Unknown language."), fields={"language": _("One of: %(choices)s", choices=", ".join(LANGUAGES))}
        )
    target.language_set = bool(language)
    target.language = language or None
    if not language:
        of_target(target)
    audit.record(
        actor,
        "target.language_set",
        workspace_id=target.workspace_id,
        subject_type="target",
        subject_id=target.id,
        details={"language": target.language, "set": target.language_set},
    )
    db.session.commit()
    return target
