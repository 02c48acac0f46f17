"""The DM settings form names a template per language: the French starter is chosen out of the box, and
a change (or "the default template") is saved, garbage refused with the field named."""

from __future__ import annotations

import re

from core.db import db
from core.models import Workspace
from core.services.workspaces.settings import read as read_settings


def _language_templates(app, ws: int) -> dict:
    with app.app_context():
        return read_settings(db.session.get(Workspace, ws).settings).language_templates


def test_the_french_template_is_chosen_and_can_be_changed(app, factory, console):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    console.login(owner.email)
    page = f"/w/{ws}/dm/templates"
    html = console.client.get(page).get_data(as_text=True)
    french = _language_templates(app, ws)["fr"]
    select = re.search(r'<select id="f-lang-fr" name="language_template_fr">(.*?)</select>', html, re.S).group(1)
    assert re.search(rf'<option value="{french}" selected>Bonjour \(français\)</option>', select)
    assert "For people who write in French" in html

    with app.app_context():
        default = read_settings(db.session.get(Workspace, ws).settings).default_template_id
    form = {"default_template_id": str(default), "dm_min_gap_seconds": "30", "dm_gap_jitter_seconds": "15"}
    saved = console.post_form(
        page,
        {**form, "language_template_fr": "", "language_template_en": str(french)},
        action=f"/w/{ws}/dm/settings",
        follow_redirects=True,
    )
    assert "DM settings saved." in saved.get_data(as_text=True)
    assert _language_templates(app, ws) == {"fr": None, "en": french}

    garbage = console.post_form(
        page, {**form, "language_template_fr": "abc"}, action=f"/w/{ws}/dm/settings", follow_redirects=True
    )
    assert "A whole number" in garbage.get_data(as_text=True)
    assert _language_templates(app, ws) == {"fr": None, "en": french}
