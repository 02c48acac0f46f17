"""French and English in one workspace, in Chromium: a French user sees French navigation, dates and
numbers and gets a French flash when approving a DM; their English teammate sees the same pages in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.db import db
from core.demo import seed as demo
from core.models import Door, Workspace
from core.services.identity import auth
from core.services.identity.actors import Actor
from core.services.workspaces import lifecycle as workspaces
from core.services.workspaces.settings import merge
from tests.browser.conftest import DESKTOP, Browse
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

ENGLISH_EMAIL = "emma@example.com"
FRENCH_DATE = re.compile(r"\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.? \d{4}, \d{2}:\d{2}")
ENGLISH_DATE = re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M")


@pytest.fixture
def made(live):
    with live.app.app_context():
        result = demo.create_demo()
        workspace = db.session.get(Workspace, result.workspace_id)
        # 1000 shows the thousands separator: "1 000" in French, "1,000" in English.
        workspace.settings = merge(workspace.settings, {"default_daily_dm_quota": 1000})
        db.session.commit()
        auth.register(ENGLISH_EMAIL, DEFAULT_PASSWORD, "Emma", door=Door.CLI)
        owner = Actor.for_user(auth.find_user_by_email(result.email), Door.CLI)
        workspaces.add_member(result.workspace_id, ENGLISH_EMAIL, "member", actor=owner)
        return result


def test_a_french_user_and_an_english_teammate_each_read_their_language(browser, live, page, browse, made):
    ws = made.workspace_id
    browse.log_in(made.email, made.password)
    # Chromium asks for English: the console starts in English until the person chooses French.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/account")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".flash-success")).to_have_text("Profil enregistré.")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.goto(f"/w/{ws}")
    sidebar = page.locator("nav.sidebar")
    for label in ("Tableau de bord", "Comptes", "Cibles", "Leads", "Membres", "Réglages"):
        expect(sidebar.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.locator(".quota-default")).to_contain_text("1\u202f000 DM par compte et par jour")
    page.goto(f"/w/{ws}/dm/history")
    assert FRENCH_DATE.search(page.locator("main").inner_text())

    page.goto(f"/w/{ws}/dm")
    expect(page.locator("h1")).to_have_text("File d'approbation des DM")
    page.get_by_role("button", name="Approuver", exact=True).first.click()
    expect(page.locator(".flash-success")).to_contain_text("DM approuvé ; il est en cours d'envoi.")

    # The English teammate, in the same workspace at the same time, reads English.
    context = browser.new_context(viewport=DESKTOP, base_url=live.url, locale="en-US")
    context.set_default_timeout(5000)
    english = context.new_page()
    try:
        Browse(english).log_in(ENGLISH_EMAIL)
        expect(english.locator("html")).to_have_attribute("lang", "en")
        english.goto(f"/w/{ws}")
        expect(english.locator("nav.sidebar").get_by_role("link", name="Targets", exact=True)).to_be_visible()
        expect(english.locator(".quota-default")).to_contain_text("1,000 DMs per account per day")
        english.goto(f"/w/{ws}/dm/history")
        text = english.locator("main").inner_text()
        assert ENGLISH_DATE.search(text) and not FRENCH_DATE.search(text)
        english.goto(f"/w/{ws}/dm")
        english.get_by_role("button", name="Approve", exact=True).first.click()
        expect(english.locator(".flash-success")).to_contain_text("DM approved; it is being sent.")
    finally:
        context.close()
