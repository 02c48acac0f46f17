"""Writing a DM to a chosen person, in a real headless Chromium: compose on the target page (the template
picker fills the text for the chosen route), save the draft, approve it from the queue, see it sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core.db import db
from core.models import DmTemplate
from tests.browser.test_console_journey import instagram  # noqa: F401 (the emulator fixture, pointed at the live app)
from tests.dm_setup import commenter, instagram_shop

pytestmark = pytest.mark.browser


def test_compose_on_a_target_page_then_approve_it_from_the_queue(page, browse, screenshot, live, instagram):  # noqa: F811
    browse.sign_up("sam@example.com")
    wid = browse.create_workspace("Maison Lumière")
    with live.app.app_context():
        shop = instagram_shop(instagram, wid, username="maison.lumiere")
        person, comment = commenter(instagram, shop, text="Where can I buy the big candle?", username="lea.martin")
        # A second person whose window closes sooner: the queue lists them first.
        urgent, _ = commenter(instagram, shop, text="price?", username="jake.smith", age=timedelta(days=6, hours=22))
        body = "Hi {{username}}! About “{{comment_excerpt}}”: here is the shop."
        db.session.add(DmTemplate(workspace_id=wid, name="Where to buy", body=body))
        db.session.commit()
        target_id, urgent_id, comment_id = person.id, urgent.id, comment.platform_id

    page.goto(f"/w/{wid}/targets")
    page.locator("tr", has_text="@lea.martin").get_by_role("link", name="Draft DM").click()
    page.wait_for_url(f"**/w/{wid}/targets/{target_id}#compose")
    composer = page.locator("#compose")
    expect(composer.get_by_role("heading", name="Write a DM")).to_be_visible()
    route = composer.get_by_label("Private reply to the comment “Where can I buy the big candle?”", exact=False)
    expect(route).to_be_checked()
    expect(composer).to_contain_text("until")
    expect(composer.get_by_role("button", name="Fill from template")).to_be_hidden()  # the script does it

    composer.get_by_label("Template").select_option(label="Where to buy")
    message = composer.get_by_label("Message")
    expect(message).to_have_value("Hi @lea.martin! About “Where can I buy the big candle?”: here is the shop.")
    message.fill("Hi @lea.martin! The big candle is on our shop, link in bio.")
    screenshot(page, "dm-compose")
    composer.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_have_text("Draft saved; it waits in the approval queue.")

    # Another draft for the urgent person, through the same composer.
    page.goto(f"/w/{wid}/targets/{urgent_id}")
    page.locator("#compose").get_by_label("Message").fill("Hi Jake, the price is on our site.")
    page.locator("#compose").get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_contain_text("Draft saved")

    page.goto(f"/w/{wid}/dm")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("@jake.smith")  # closes in about 2 hours
    expect(rows.nth(0).locator(".time-left")).to_contain_text("h")
    expect(rows.nth(1)).to_contain_text("@lea.martin")
    expect(rows.nth(1).locator(".time-left")).to_contain_text("6 d")
    screenshot(page, "dm-queue-urgency")

    # Nothing ticked: the queue says so, and nothing is approved.
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".flash-error")).to_contain_text("No DM selected.")
    expect(page.locator(".flash-success")).to_have_count(0)

    rows.nth(1).get_by_role("button", name="Approve").click()
    expect(page.locator(".flash-success")).to_contain_text("DM approved")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)

    page.goto(f"/w/{wid}/dm/history?status=sent")
    sent = page.locator("tbody tr", has_text="@lea.martin")
    expect(sent).to_contain_text("sent")
    expect(sent).to_contain_text("The big candle is on our shop, link in bio.")
    screenshot(page, "dm-sent")
    # Exactly one private reply reached Instagram (the emulator), to Léa's comment.
    assert [(m["text"], m["recipient"]) for m in instagram.sent_messages] == [
        ("Hi @lea.martin! The big candle is on our shop, link in bio.", {"comment_id": comment_id})
    ]
