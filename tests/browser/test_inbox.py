"""The Inbox in a real headless Chromium: a DM arrives, a new message appears without a reload (short
polling), the reply goes out with Ctrl+Enter, the conversation is assigned and marked done."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_console_journey import instagram  # noqa: F401 (the emulator fixture, pointed at the live app)
from tests.dm_setup import instagram_shop
from tests.meta_webhook import SECRET, deliver, inbound

pytestmark = pytest.mark.browser


def test_new_message_without_reload_reply_assign_done(page, browse, screenshot, live, instagram, monkeypatch):  # noqa: F811
    monkeypatch.setitem(live.app.config, "META_APP_SECRET", SECRET)
    page.set_default_timeout(20000)  # a shared, busy machine: patience, not a speed check
    browse.sign_up("sam@example.com", name="Sam Martin")
    wid = browse.create_workspace("Maison Lumière")
    with live.app.app_context():
        shop = instagram_shop(instagram, wid, username="maison.lumiere")
    ig_id = shop.ig_user_id
    webhook = live.app.test_client()
    instagram.add_inbound_message(ig_id, "igsid-marie", "Parfait, je veux commander le coffret", username="marie")
    deliver(webhook, ig_id, [inbound(ig_id, "igsid-marie", "mid-1", "Parfait, je veux commander le coffret")])

    page.goto(f"/w/{wid}/inbox")
    page.get_by_role("link", name="@marie").click()
    thread = page.locator("[data-inbox-thread]")
    expect(thread).to_contain_text("Parfait, je veux commander le coffret")
    expect(thread).to_contain_text("24-hour message window")

    instagram.add_inbound_message(ig_id, "igsid-marie", "Vous livrez à Lyon ?", username="marie")
    deliver(webhook, ig_id, [inbound(ig_id, "igsid-marie", "mid-2", "Vous livrez à Lyon ?")])
    expect(thread.locator("[data-items]")).to_contain_text("Vous livrez à Lyon ?", timeout=15000)  # no reload

    message = thread.get_by_label("Message")
    message.fill("Oui, livraison à Lyon en 48 h !")
    message.press("Control+Enter")
    expect(page.locator(".flash-success")).to_contain_text("Message queued")
    assert [m["text"] for m in instagram.sent_messages] == ["Oui, livraison à Lyon en 48 h !"]
    expect(page.locator("[data-inbox-thread] [data-items]")).to_contain_text("Oui, livraison à Lyon en 48 h !")

    page.locator("[data-inbox-thread]").get_by_label("Assignee").select_option(label="Sam Martin")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash-success")).to_have_text("Assigned.")
    page.get_by_role("button", name="Mark done").click()
    expect(page.locator(".flash-success")).to_have_text("Marked done.")
    expect(page.locator("[data-state]")).to_have_text("Done")
    screenshot(page, "inbox")
