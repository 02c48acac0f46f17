"""Text people read, in their language, without knowing which door shows it.

Core marks a message with `_` (or `ngettext` for plurals): the result is a `Text`, a `str` whose
value is the English message (the fallback, what logs and old callers see), and which also
remembers the message id and its parameters so that a door can render it again in the reader's
locale with `render(value, locale)`. Core never asks which locale is wanted: a door knows (the
request, the linked chat person) and renders. The catalogues live in `translations/` at the
repository root, shared with Flask-Babel's templates (`scripts/i18n.sh` extracts and compiles them).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from babel import Locale
from babel.support import NullTranslations, Translations

SUPPORTED: tuple[str, ...] = ("en", "fr")
DEFAULT = "en"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")


class Text(str):
    """An English message that can be rendered again in another locale (`render`)."""

    msgid: str
    plural: str | None
    n: int | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, n: int | None = None, **params: Any) -> Text:
        value = super().__new__(cls, _format(plural if plural is not None and n != 1 else msgid, n, params, None))
        value.msgid, value.plural, value.n, value.params = msgid, plural, n, params
        return value

    def in_locale(self, locale: str | None) -> str:
        """This message in `locale` (English when the locale or the message is not translated)."""
        translations = catalogue(locale)
        if self.plural is not None:
            template = translations.ungettext(self.msgid, self.plural, self.n or 0)
        else:
            template = translations.ugettext(self.msgid)
        return _format(template, self.n, self.params, locale)

    def __reduce__(self):  # pickled into RQ jobs and caches as itself, not as a plain str
        return (_rebuild, (self.msgid, self.plural, self.n, self.params))


def _rebuild(msgid: str, plural: str | None, n: int | None, params: dict[str, Any]) -> Text:
    return Text(msgid, plural, n, **params)


def _format(template: str, n: int | None, params: dict[str, Any], locale: str | None) -> str:
    if not params and n is None:
        return template
    values = {key: render(value, locale) for key, value in params.items()}
    if n is not None:
        values.setdefault("num", n)
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        # A translation that misnames a placeholder must never turn an error message into a crash.
        return template


def _(msgid: str, **params: Any) -> Text:
    """Mark a message for translation; `%(name)s` placeholders take `params` (rendered in the same locale)."""
    return Text(msgid, **params)


def ngettext(singular: str, plural: str, n: int, **params: Any) -> Text:
    """A message with plural forms; `%(num)d` is `n` (French puts 0 and 1 in the singular)."""
    return Text(singular, plural, n, **params)


def render(value: Any, locale: str | None) -> Any:
    """`value` in `locale` if it is a `Text`; dicts and lists are rendered item by item; other values as they are."""
    if isinstance(value, Text):
        return value.in_locale(locale)
    if isinstance(value, dict):
        return {key: render(item, locale) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(render(item, locale) for item in value)
    return value


def normalise(locale: str | None) -> str | None:
    """A supported language code for `locale` ('fr-CA' -> 'fr'), or None."""
    if not locale:
        return None
    language = str(locale).replace("-", "_").split("_")[0].strip().lower()
    return language if language in SUPPORTED else None


@cache
def catalogue(locale: str | None) -> NullTranslations:
    """The compiled catalogue of `locale` (an empty one for English or a missing file)."""
    language = normalise(locale) or DEFAULT
    if language == DEFAULT:
        return NullTranslations()
    return Translations.load(TRANSLATIONS_DIR, [language], domain="messages")


def babel_locale(locale: str | None) -> Locale:
    """Babel's Locale for formatting dates and numbers."""
    return Locale.parse(normalise(locale) or DEFAULT)
