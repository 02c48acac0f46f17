"""Building an automation in a real headless Chromium: the editor's live preview, the rule's page, the dry run,
at laptop and phone widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import db
from core.models import AutomationRule, DmTemplate
from tests.factories import make_account, make_interaction, make_target

pytestmark = pytest.mark.browser

NO_HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def _shop(live, wid: int) -> None:
    with live.app.app_context():
        account = make_account(wid, username="maison.lumiere")
        make_interaction(make_target(account, username="olga"), text="Quel est le PRIX du coffret ?")
        make_interaction(make_target(account, username="ben"), text="what a lovely photo")
        db.session.add_all(
            [
                DmTemplate(workspace_id=wid, name="Price list", body="Hi {{username}}, our prices are in bio."),
                DmTemplate(workspace_id=wid, name="Bonjour", body="Bonjour {{username}}, nos prix sont en bio."),
            ]
        )
        db.session.commit()


@pytest.mark.parametrize("width", [1366, 390])
def test_build_an_automation_look_at_the_dry_run_and_switch_it_on(page, browse, screenshot, live, width):
    page.set_viewport_size({"width": width, "height": 900})
    browse.sign_up("lea@example.com", name="Léa")
    wid = browse.create_workspace("Maison Lumière")
    _shop(live, wid)

    page.goto(f"/w/{wid}/automations")
    page.get_by_role("link", name="New automation").first.click()
    page.get_by_label("Name", exact=True).fill("Prix")
    page.get_by_label("Keywords").fill("prix, price")
    page.locator("#f-variant-0").select_option(label="Price list")
    expect(page.locator("#preview-0")).to_contain_text("our prices are in bio.")  # rendered live, no round trip
    page.get_by_role("button", name="Add a variant").click()
    page.locator("#f-variant-1").select_option(label="Bonjour")
    expect(page.locator("#preview-1")).to_contain_text("nos prix sont en bio.")
    page.get_by_label("Public replies under the comment (optional)").fill("Sent you a DM 📩")
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    screenshot(page, f"automation-editor-{width}")
    page.get_by_role("button", name="Save automation").click()

    expect(page.locator(".flash-success")).to_contain_text("Automation “Prix” saved.")
    expect(page.locator("tr[data-variant=B]")).to_contain_text("Bonjour")
    expect(page.locator(".verdict")).to_contain_text("No message sent yet.")
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    screenshot(page, f"automation-rule-{width}")

    page.get_by_role("link", name="Dry run on the last 7 days").click()
    expect(page.locator("main")).to_contain_text("this rule matches 1")
    row = page.locator("tr[data-outcome=would_draft]")
    expect(row).to_contain_text("@olga")
    expect(row).to_contain_text("the keyword “prix”")
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    screenshot(page, f"automation-dry-run-{width}")

    page.go_back()
    page.get_by_role("button", name="Switch on").click()
    expect(page.locator(".flash-success")).to_contain_text("is on")
    with live.app.app_context():
        rule = db.session.scalar(select(AutomationRule).where(AutomationRule.workspace_id == wid))
        assert rule.active and rule.activated_at is not None and rule.public_replies == ["Sent you a DM 📩"]
