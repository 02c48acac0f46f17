"""The catalogues are complete: every message marked in code or a template is in them, and the compiled
French catalogue translates each one (no empty or fuzzy entry, same placeholders)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from core import i18n

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "translations"
# The same keywords as scripts/i18n.sh: core's `_`/`ngettext`, Flask-Babel's `gettext`/`lazy_gettext` (as `_l`).
KEYWORDS = DEFAULT_KEYWORDS | {"_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")


def marked_messages(root: Path, config: str) -> set[str]:
    """Every msgid that `pybabel extract` would find under `root` with this babel.cfg text."""
    method_map, options_map = parse_mapping_cfg(io.StringIO(config))
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def problems_of(language: str, messages: set[str]) -> list[str]:
    """What is wrong with `language`'s catalogue for these messages (read from the compiled .mo)."""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        po = read_po(handle, locale=language)
    with open(folder / "messages.mo", "rb") as handle:
        mo = read_mo(handle)
    found: list[str] = []
    if po.fuzzy:
        found.append(f"{language}: the catalogue header is fuzzy (pybabel compile would skip the file)")
    for msgid in sorted(messages):
        entry = po.get(msgid)
        compiled = mo.get(msgid)
        if entry is None:
            found.append(f"{language}: not in the catalogue (run scripts/i18n.sh update): {msgid!r}")
            continue
        if entry.fuzzy:
            found.append(f"{language}: fuzzy: {msgid!r}")
        strings = compiled.string if compiled is not None else None
        strings = list(strings) if isinstance(strings, tuple | list) else [strings]
        if compiled is None or not all(strings):
            found.append(f"{language}: untranslated in the compiled catalogue (scripts/i18n.sh compile): {msgid!r}")
            continue
        wanted = set(PLACEHOLDER.findall(entry.id[-1] if isinstance(entry.id, tuple) else entry.id))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) - wanted - {"num"}:
                found.append(f"{language}: a placeholder the message does not give: {msgid!r} -> {text!r}")
            elif wanted - {"num"} - set(PLACEHOLDER.findall(text)):
                found.append(f"{language}: a placeholder is lost: {msgid!r} -> {text!r}")
    return found


def project_messages() -> set[str]:
    return marked_messages(ROOT, (ROOT / "babel.cfg").read_text())


def test_every_marked_message_is_translated_in_every_language():
    messages = project_messages()
    assert len(messages) > 100  # the extraction really ran over code and templates
    problems = [p for language in i18n.SUPPORTED if language != i18n.DEFAULT for p in problems_of(language, messages)]
    assert problems == []


def test_templates_and_python_are_both_extracted():
    messages = project_messages()
    assert "Log in" in messages  # console/templates/auth/login.html
    assert "Target not found." in messages  # core/services/identity/access.py


def test_a_new_message_missing_from_the_catalogue_is_caught(tmp_path):
    (tmp_path / "feature.py").write_text(
        'from core.i18n import _\nMESSAGE = _("A brand new message nobody translated.")\n'
    )
    (tmp_path / "page.html").write_text("<p>{{ _('Log in') }} {{ _('A brand new page title') }}</p>\n")
    config = "[python: **.py]\n[jinja2: **.html]\n"
    messages = marked_messages(tmp_path, config)
    problems = problems_of("fr", messages)
    assert any("A brand new message nobody translated." in p for p in problems)
    assert any("A brand new page title" in p for p in problems)
    assert not any("'Log in'" in p for p in problems)


def test_plural_forms_follow_french_rules():
    text = i18n.ngettext("%(num)d DM awaiting approval", "%(num)d DMs awaiting approval", 1)
    assert (str(text), text.in_locale("fr")) == ("1 DM awaiting approval", "1 DM en attente d'approbation")
    text = i18n.ngettext("%(num)d DM awaiting approval", "%(num)d DMs awaiting approval", 2)
    assert (str(text), text.in_locale("fr")) == ("2 DMs awaiting approval", "2 DM en attente d'approbation")
    # French puts zero in the singular, English in the plural.
    text = i18n.ngettext("%(num)d day", "%(num)d days", 0)
    assert (str(text), text.in_locale("fr")) == ("0 days", "0 jour")
    text = i18n.ngettext("%(num)d day", "%(num)d days", 1_000_000)
    assert text.in_locale("fr") == "1000000 de jours"  # CLDR's third French form, for round millions
