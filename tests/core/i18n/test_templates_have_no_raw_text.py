"""Issue 18: a console template shows no English a French reader cannot get translated.

Every word a person reads in a template goes through `_()` (or comes from data). This reads each
template with its Jinja parts and markup taken out, and fails on any word left: the text of a page
that the catalogue test cannot see, because it was never marked.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[3] / "console" / "templates"
# Words that are the same in every language: product and protocol names, code shown as code.
SAME_IN_EVERY_LANGUAGE = {"VistaFlow", "HTTP"}
# Whole elements whose text is code or an identifier, never prose.
VERBATIM = re.compile(r"<(code|pre|title|script|style)\b[^>]*>.*?</\1>", re.S)
# Links that show their own address.
SHOWN_URL = re.compile(r"https?://\S+?(?=<|\s|$)")
# Attributes a person reads (or hears, with a screen reader).
READ_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|aria-label|alt|data-confirm)="([^"]*)"')
JINJA = re.compile(r"{#.*?#}|{{.*?}}|{%.*?%}", re.S)
MARKUP = re.compile(r"<[^>]*>", re.S)
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]{2,}")


def raw_words(source: str) -> list[str]:
    attributes = " ".join(READ_ATTRIBUTES.findall(source))
    # Jinja parts become a mark (not a space), so an address built from them is still one address.
    text = JINJA.sub("\x00", source + " " + attributes)
    text = VERBATIM.sub(" ", text)
    text = SHOWN_URL.sub(" ", text).replace("\x00", " ")
    text = MARKUP.sub(" ", text)
    text = re.sub(r"&[a-z]+;", " ", text)
    return [word for word in WORD.findall(text) if word not in SAME_IN_EVERY_LANGUAGE]


def test_the_scan_finds_unmarked_text_and_ignores_marked_text():
    assert raw_words('<p>{{ _("Saved") }} <code>POST /x</code></p>') == []
    assert raw_words("<p>Last seen {{ when }}</p>") == ["Last", "seen"]
    assert raw_words("<button title=\"{{ _('Go') }}\">Remove</button>") == ["Remove"]
    assert raw_words('<form data-confirm="Remove this member?"></form>') == ["Remove", "this", "member"]


def test_no_template_shows_unmarked_words():
    found = {
        str(path.relative_to(TEMPLATES)): words
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (words := raw_words(path.read_text()))
    }
    assert found == {}, f"mark these for translation with _(): {found}"
