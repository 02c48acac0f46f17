"""Which passwords are too easy to guess: common ones, trivial patterns, and ones built from the person.

The check follows NIST SP 800-63B: no composition rules, but a password found in a list of leaked
passwords, a repeat or sequence, or one made of the person's own name or email is refused. zxcvbn
supplies the lists (30,000 leaked passwords, names, English words) and the guess estimate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from core.i18n import _

# zxcvbn's score 3 means "safely unguessable" (about 10^10 guesses): what an online attack with our
# login throttle and an offline attack on an argon2id hash both fail to reach.
MIN_SCORE = 3
# zxcvbn's run time grows with length; past this it learns nothing more about a password's strength.
ESTIMATE_PREFIX = 64
SERVICE_WORDS = ("vistaflow", "vista", "flow")
PERSONAL = _("Do not build the password from your name, your email or VistaFlow.")


def weakness(password: str, personal: Iterable[str] = ()) -> str | None:
    """Why the password is too easy to guess (a sentence for the person), or None when it is fine."""
    hints = [*SERVICE_WORDS, *_personal_words(personal)]
    result = zxcvbn(password[:ESTIMATE_PREFIX], user_inputs=hints)
    if result["score"] >= MIN_SCORE:
        # zxcvbn counts "tarasilva2026" as two rare words and a year; without the person's own
        # words what is left must still be hard to guess.
        rest = _without(password[:ESTIMATE_PREFIX].lower(), hints)
        if rest == password[:ESTIMATE_PREFIX].lower() or zxcvbn(rest)["score"] >= MIN_SCORE:
            return None
        return PERSONAL
    patterns = result["sequence"]
    if any(p.get("dictionary_name") == "user_inputs" for p in patterns):
        return PERSONAL
    if any(p.get("dictionary_name") == "passwords" for p in patterns):
        return _("This password is on lists of common or leaked passwords; choose another.")
    if any(p["pattern"] in ("repeat", "sequence", "spatial") for p in patterns):
        return _("Repeated characters, sequences like “abcd” or “1234” and keyboard rows are easy to guess.")
    return _("This password is easy to guess: use a few unrelated words, or a longer mix of characters.")


def _personal_words(values: Iterable[str]) -> list[str]:
    """The name and email, whole and in pieces ("ana.silva@shop.example" gives "ana", "silva", "shop")."""
    words: list[str] = []
    for value in values:
        value = (value or "").strip().lower()
        if not value:
            continue
        words.append(value)
        words += [piece for piece in re.split(r"[^a-z0-9]+", value) if len(piece) >= 3]
    return words


def _without(password: str, words: list[str]) -> str:
    for word in sorted(words, key=len, reverse=True):
        password = password.replace(word, "")
    return password
