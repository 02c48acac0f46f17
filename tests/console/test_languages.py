"""Which language a person reads: their preference, else the browser, else the workspace; API error
messages translated while `code` and `fields` stay English; the console's pages and switch."""

from __future__ import annotations

from tests.conftest import Console

FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def test_accept_language_fr_gives_a_french_message_with_the_same_code_and_fields(factory):
    user = factory.user()
    bad = {"name": "", "time_zone": "Mars/Olympus"}
    english = user.patch("/users/me", json=bad).get_json()["error"]
    french = user.patch("/users/me", json=bad, headers=FR).get_json()["error"]
    assert english["code"] == french["code"] == "validation_error"
    assert set(english["fields"]) == set(french["fields"]) == {"name", "time_zone"}
    assert english["message"] == "Some fields are not valid."
    assert french["message"] == "Certains champs ne sont pas valides."
    assert french["fields"]["time_zone"] == "'Mars/Olympus' n'est pas un fuseau horaire IANA (par ex. Europe/Paris)."


def test_schema_errors_are_translated_too(factory):
    user = factory.user()
    response = user.patch("/users/me", json={"time_zone": 12, "colour": "red"}, headers=FR)
    error = response.get_json()["error"]
    assert response.status_code == 422
    assert error["fields"] == {"time_zone": "La valeur doit être un texte", "colour": "Champ non autorisé"}
    assert response.headers["Content-Language"] == "fr"


def test_the_users_preference_wins_over_the_browser(factory):
    user = factory.user()
    response = user.patch("/users/me", json={"locale": "fr"})
    assert response.status_code == 200 and response.get_json()["locale"] == "fr"
    error = user.get("/targets/999999", headers={"Accept-Language": "en"}).get_json()["error"]
    assert (error["code"], error["message"]) == ("not_found", "Cible introuvable.")
    # A body refused before the view even runs is in the chosen language too.
    refused = user.patch("/users/me", json={"colour": "red"}).get_json()["error"]
    assert refused["message"] == "Certains champs ne sont pas valides."
    # '' gives the choice back to the browser.
    assert user.patch("/users/me", json={"locale": ""}).get_json()["locale"] is None
    assert user.get("/targets/999999").get_json()["error"]["message"] == "Target not found."


def test_an_unknown_language_is_refused_naming_the_field(factory):
    user = factory.user()
    response = user.patch("/users/me", json={"locale": "klingon"}, headers=FR)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["fields"] == {"locale": "Choisissez parmi : en, fr."}
    assert user.get("/users/me").get_json()["locale"] is None


def test_the_workspace_default_speaks_to_members_without_a_choice_or_a_browser(factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    wid = workspace["id"]
    response = owner.patch(f"/workspaces/{wid}", json={"settings": {"default_locale": "fr"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["settings"]["default_locale"] == "fr"
    unknown = {"email": "nobody-here@example.com", "role": "member"}
    answer = owner.post(f"/workspaces/{wid}/invitations", json=unknown).get_json()
    assert answer["message"].startswith("Invitation envoyée à nobody-here@example.com (membre).")
    # The browser still wins over the workspace.
    english = owner.post(f"/workspaces/{wid}/invitations", json=unknown, headers={"Accept-Language": "en"})
    assert english.get_json()["message"].startswith("Invitation sent to nobody-here@example.com (member).")
    # Someone outside the workspace learns nothing from it, not even its language.
    stranger = factory.user()
    answer = stranger.post(f"/workspaces/{wid}/invitations", json=unknown).get_json()["error"]
    assert answer["message"] == "Workspace not found."
    bad = owner.patch(f"/workspaces/{wid}", json={"settings": {"default_locale": "de"}})
    assert bad.status_code == 422 and "settings.default_locale" in bad.get_json()["error"]["fields"]


def test_anonymous_pages_follow_the_browser_and_offer_a_switch(app):
    browser = Console(app.test_client())
    page = browser.get("/login", headers=FR).get_data(as_text=True)
    assert '<html lang="fr">' in page and "Se connecter" in page and "Mot de passe" in page
    assert 'href="/login?lang=en"' in page
    page = browser.get("/login?lang=en", headers=FR).get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page
    # The switch sticks for the next pages of this browser.
    page = browser.get("/signup", headers=FR).get_data(as_text=True)
    assert '<html lang="en">' in page and "Create your account" in page
    page = Console(app.test_client()).get("/signup").get_data(as_text=True)
    assert '<html lang="en">' in page


def test_a_failed_login_is_explained_in_french(app, factory):
    user = factory.user()
    browser = Console(app.test_client())
    token_page = browser.get("/login", headers=FR).get_data(as_text=True)
    assert "Se connecter" in token_page
    response = browser.post_form("/login", {"email": user.email, "password": "wrong-password!"}, headers=FR)
    assert response.status_code == 401
    assert "E-mail ou mot de passe incorrect." in response.get_data(as_text=True)


def test_the_account_page_sets_the_language(app, factory):
    user = factory.user()
    browser = Console(app.test_client())
    assert browser.login(user.email).status_code == 302
    page = browser.get("/account").get_data(as_text=True)
    assert '<html lang="en">' in page and 'name="locale"' in page
    response = browser.post_form(
        "/account",
        {"name": "Ann", "time_zone": "Europe/Paris", "locale": "fr", "email_digest": "on"},
        action="/account/profile",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page and "Profil enregistré." in page
    assert user.get("/users/me").get_json()["locale"] == "fr"


def test_the_workspace_settings_page_sets_the_default_language(app, factory):
    owner = factory.user()
    workspace = factory.workspace(owner, name="Atelier")
    browser = Console(app.test_client())
    assert browser.login(owner.email).status_code == 302
    page = f"/w/{workspace['id']}/settings"
    assert 'name="default_locale"' in browser.get(page).get_data(as_text=True)
    form = {"name": "Atelier", "time_zone": "Europe/Paris", "default_daily_dm_quota": "50"}
    form |= {"collection_look_back_days": "30", "default_locale": "fr"}
    response = browser.post_form(page, form, follow_redirects=True)
    html = response.get_data(as_text=True)
    # The owner chose no language and the test browser asks for none: the workspace's default speaks.
    assert '<html lang="fr">' in html and "Réglages enregistrés." in html
    assert owner.get(f"/workspaces/{workspace['id']}").get_json()["settings"]["default_locale"] == "fr"
    bad = browser.post_form(page, form | {"default_locale": "xx"})
    assert bad.status_code == 422


def test_targets_show_relative_times_in_the_readers_language(app, factory):
    from datetime import timedelta

    from core.db import utcnow
    from tests.factories import make_account, make_target

    owner = factory.user()
    workspace = factory.workspace(owner, time_zone="Europe/Paris")
    with app.app_context():
        make_target(make_account(workspace["id"]), username="recent_fan", last_seen_at=utcnow() - timedelta(days=2))
    browser = Console(app.test_client())
    assert browser.login(owner.email).status_code == 302
    french = browser.get(f"/w/{workspace['id']}/targets", headers=FR).get_data(as_text=True)
    assert "@recent_fan" in french and "il y a 2 jours" in french
    english = browser.get(f"/w/{workspace['id']}/targets").get_data(as_text=True)
    assert "2 days ago" in english
