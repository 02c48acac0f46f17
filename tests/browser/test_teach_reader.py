"""Teaching the reader in a real headless Chromium: a person's page, at laptop and phone widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.db import db
from core.models import Interaction
from tests.factories import make_account, make_interaction, make_target

pytestmark = pytest.mark.browser

NO_HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def _person(live, wid: int) -> tuple[int, int]:
    with live.app.app_context():
        person = make_target(make_account(wid), username="olga")
        comment = make_interaction(person, text="combien le coffret rose ?")
        return person.id, comment.id


@pytest.mark.parametrize("width", [1366, 390])
def test_not_a_buyer_on_a_person_page(page, browse, screenshot, live, width):
    page.set_viewport_size({"width": width, "height": 900})
    browse.sign_up("lea@example.com", name="Léa")
    wid = browse.create_workspace("Maison Lumière")
    target_id, comment_id = _person(live, wid)

    page.goto(f"/w/{wid}/targets/{target_id}")
    row = page.locator("tr", has_text="combien le coffret rose ?")
    expect(row).to_contain_text("asked for the price: “combien le coffret rose ?”")
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    screenshot(page, f"teach-before-{width}")
    row.get_by_role("button", name="Not a buyer").click()

    expect(page.locator(".flash-success")).to_contain_text("read as not a buyer")
    expect(page.locator("tr", has_text="combien le coffret rose ?")).to_contain_text("Taught: not a buyer")
    with live.app.app_context():
        assert db.session.get(Interaction, comment_id).has_intent is False
    page.goto(f"/w/{wid}/reading")
    expect(page.locator("main")).to_contain_text("1 interaction labelled by your team.")
    screenshot(page, f"teach-versions-{width}")
