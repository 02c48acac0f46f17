"""A draft uses the template written in the person's language, else the workspace's default template."""

from __future__ import annotations

from core.db import db
from core.models import Target, Workspace
from core.services.outreach import settings as dm_settings
from tests.factories import make_account, make_interaction, make_target


def _template(owner, workspace_id: int, name: str, language: str | None) -> int:
    made = owner.post(
        f"/dm/templates/{workspace_id}", json={"name": name, "body": f"{name} {{{{username}}}}", "language": language}
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["language"] == language
    return made.get_json()["id"]


def test_each_person_gets_the_template_of_their_language(app, factory):
    team = factory.rivals()
    owner, ws = team["owner"], team["ws"]
    english = _template(owner, ws, "Hello", "en")
    spanish = _template(owner, ws, "Hola", "es")
    german = _template(owner, ws, "Hallo", "de")
    italian_by_setting = _template(owner, ws, "Ciao (chosen)", None)
    _template(owner, ws, "Ciao", "it")
    saved = owner.patch(
        f"/dm/settings/{ws}", json={"defaultTemplateId": english, "languageTemplates": {"it": italian_by_setting}}
    )
    assert saved.status_code == 200, saved.get_json()

    said = {
        "es": "hola! cuánto cuesta la vela grande?",
        "de": "wie viel kostet die große Kerze bitte",
        "it": "quanto costa la candela grande?",
        "pt": "quanto custa a vela grande?",  # no Portuguese template: the default one
        "unknown": "🔥🔥",
    }
    expected = {"es": spanish, "de": german, "it": italian_by_setting, "pt": english, "unknown": english}
    with app.app_context():
        account = make_account(ws)
        workspace = db.session.get(Workspace, ws)
        for language, text in said.items():
            person = make_target(account)
            make_interaction(person, text=text)
            chosen = dm_settings.template_for(workspace, db.session.get(Target, person.id))
            assert chosen.id == expected[language], language


def test_a_language_set_by_the_team_wins_over_detection(app, factory):
    team = factory.rivals()
    owner, ws = team["owner"], team["ws"]
    english = _template(owner, ws, "Hello", "en")
    french = _template(owner, ws, "Bonjour", "fr")
    # The starter French template is the one chosen for French: clear it, so the language of templates decides.
    owner.patch(f"/dm/settings/{ws}", json={"defaultTemplateId": english, "languageTemplates": {"fr": None}})
    with app.app_context():
        person = make_target(make_account(ws))
        make_interaction(person, text="where can I buy this lovely candle")
        person_id = person.id
    assert owner.post(f"/targets/{person_id}/language", json={"language": "fr"}).status_code == 200
    with app.app_context():
        chosen = dm_settings.template_for(db.session.get(Workspace, ws), db.session.get(Target, person_id))
        assert chosen.id == french


def test_an_unknown_template_language_names_the_field(factory):
    team = factory.rivals()
    bad = team["owner"].post(f"/dm/templates/{team['ws']}", json={"name": "x", "body": "hi", "language": "nl"})
    assert bad.status_code == 422 and "language" in str(bad.get_json())
