"""A team's first hour in VistaFlow, in a real headless Chromium: sign up, create a workspace, connect
Instagram (the local emulator), collect, find the hot targets, approve a DM, work a lead on the board,
export CSV, add a signed webhook and test it, then look at the dashboard and the jobs page.

Screenshots of every main page land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.emulators.instagram import InstagramEmulator
from tests.emulators.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.browser

NO_HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def instagram(live, monkeypatch):
    """The Instagram emulator, with the live app pointed at it for this test only."""
    with InstagramEmulator() as emulator:
        for key, value in emulator.config().items():
            monkeypatch.setitem(live.app.config, key, value)
        monkeypatch.setitem(live.app.config, "INSTAGRAM_REDIRECT_URI", live.url + "/social-accounts/instagram/callback")
        yield emulator


@pytest.fixture
def hooks(live, monkeypatch):
    """A customer's webhook endpoint on loopback (allowed for this test only)."""
    monkeypatch.setitem(live.app.config, "INTEGRATIONS_ALLOW_PRIVATE_TARGETS", True)
    with WebhookReceiver() as receiver:
        yield receiver


def seed_instagram(ig: InstagramEmulator, ig_id: str) -> None:
    """Three recent posts; Léa and Jake show buying intent on several of them, others just like them."""
    now = datetime.now(UTC)
    posts = [
        ig.add_media(ig_id, caption, now - timedelta(days=d))
        for d, caption in ((3, "Autumn candles 🍂"), (2, "Gift boxes 🎁"), (1, "Refills ♻️"))
    ]
    lea, jake = "9001", "9002"
    for post, text in zip(posts, ("C'est combien ? Je veux commander", "Le lien svp", "Où acheter ? 😍"), strict=True):
        ig.add_comment(post, text, "lea.martin", lea, now - timedelta(hours=20))
    for post, text in zip(posts, ("How much is the large one?", "Where can I buy this?", "Price please!"), strict=True):
        ig.add_comment(post, text, "jake.smith", jake, now - timedelta(hours=10))
    for post in posts[:2]:
        ig.add_comment(post, "Magnifique", "lea.martin", lea, now - timedelta(hours=30))
        ig.add_comment(post, "Love these", "jake.smith", jake, now - timedelta(hours=12))
    for n, name in enumerate(("emma.walker", "hugo_roux", "mia.green", "theo.simon")):
        ig.add_comment(posts[n % 3], "So pretty ✨", name, str(9100 + n), now - timedelta(hours=40 + n))
    ig.add_mention(ig_id, "My @maison.lumiere candle arrived ✨", "lea.martin", now - timedelta(hours=6))


def test_first_hour_in_vistaflow(page, browse, screenshot, live, instagram, hooks):
    ig_id = instagram.add_account("maison.lumiere", "BUSINESS")
    seed_instagram(instagram, ig_id)

    browse.sign_up("ada@example.com")
    wid = browse.create_workspace("Maison Lumière")
    expect(page.locator(".next-step h2")).to_have_text("Start here: connect an account")
    screenshot(page, "journey-dashboard-empty")

    # Connect Instagram: the button goes to the platform's consent page (the emulator) and back.
    page.get_by_role("link", name="Connect an account").click()
    page.get_by_role("button", name="Connect Instagram").click()
    # Instagram's redirect carries a "#_" fragment, which the browser keeps through our redirect.
    page.wait_for_url(re.compile(rf"/w/{wid}/accounts(#_)?$"))
    expect(page.locator(".flash-success")).to_contain_text("@maison.lumiere connected")
    screenshot(page, "accounts")

    # A DM template, drafted automatically for every person who becomes hot.
    page.get_by_role("link", name="DMs", exact=True).click()
    page.get_by_role("link", name="Templates").click()
    page.get_by_label("Name").fill("Hello")
    page.get_by_label("Message").fill(
        "Hi {{username}}! Thanks for “{{comment_excerpt}}”. Prices and shop: {{post_url}}"
    )
    page.get_by_role("button", name="Save template").click()
    page.get_by_label("Default template for hot targets").select_option(label="Hello")
    page.get_by_role("button", name="Save DM settings").click()
    expect(page.locator(".flash-success")).to_be_visible()

    # Collect now, from the dashboard's next step.
    page.goto(f"/w/{wid}")
    expect(page.locator(".next-step h2")).to_have_text("Next step: collect")
    page.get_by_role("link", name="Collect now").click()
    page.get_by_role("button", name="Collect now").click()
    expect(page.locator(".flash-success")).to_contain_text("Collected: 15 new")
    screenshot(page, "interactions")

    # The hot targets, explained.
    page.goto(f"/w/{wid}")
    expect(page.locator(".stats .stat").first.locator(".big")).to_have_text("2")
    page.get_by_role("link", name="See hot targets").click()
    expect(page.get_by_role("cell", name="@lea.martin")).to_be_visible()
    expect(page.get_by_role("cell", name="@jake.smith")).to_be_visible()
    expect(page.get_by_text("@emma.walker")).to_have_count(0)
    screenshot(page, "targets")
    page.locator("tr", has_text="@lea.martin").get_by_role("button", name="Make lead").click()
    expect(page.locator(".flash-success")).to_have_text("Lead created.")
    page.get_by_role("link", name="@jake.smith").click()
    expect(page.locator("h1")).to_have_text("@jake.smith")
    screenshot(page, "target-detail")
    page.get_by_role("button", name="Make lead").click()
    expect(page.locator(".flash-success")).to_have_text("Lead created.")

    approve_a_dm(page, screenshot, wid, instagram)

    # The board: Jake moved to contacted by himself when his DM went out; Léa is moved by hand.
    page.goto(f"/w/{wid}/leads/board")
    column = {status: page.locator(f".board-col[data-status={status}]") for status in ("new", "contacted")}
    expect(column["contacted"].locator(".lead-card", has_text="@jake.smith")).to_have_count(1)
    card = column["new"].locator(".lead-card", has_text="@lea.martin")
    card.get_by_label("New status of @lea.martin").select_option("contacted")
    card.get_by_role("button", name="Move").click()
    expect(column["contacted"].locator(".lead-card")).to_have_count(2)
    expect(column["new"].locator(".lead-card")).to_have_count(0)
    screenshot(page, "leads-board")

    # Export the leads as CSV.
    page.goto(f"/w/{wid}/leads")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(download_info.value.path().read_text(encoding="utf-8-sig"))))
    assert any("jake.smith" in cell for row in rows[1:] for cell in row), rows
    screenshot(page, "leads")

    # A signed webhook: its secret is shown once, and the test delivery verifies on the receiver.
    page.goto(f"/w/{wid}/integrations")
    page.get_by_label("Name").first.fill("Our CRM")
    page.get_by_label("Endpoint URL").fill(hooks.url + "/vistaflow")
    page.get_by_role("button", name="Add webhook").click()
    hooks.secret = page.locator("#signing-secret").inner_text().strip()
    screenshot(page, "integrations")
    page.get_by_role("link", name="Our CRM").first.click()
    page.get_by_role("button", name="Send test").click()
    expect(page.locator(".flash-success")).to_contain_text("Test succeeded")
    assert len(hooks.received) == 1
    screenshot(page, "integration-detail")

    # The dashboard now tells the story, and the jobs page shows what ran.
    page.goto(f"/w/{wid}")
    expect(page.locator(".next-step")).to_have_count(0)
    expect(page.locator("figure.chart svg[role=img]")).to_have_count(4)
    expect(page.locator(".hot-list li")).to_have_count(2)
    screenshot(page, "dashboard")
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.locator("table.jobs")).to_contain_text("Collection")
    expect(page.locator("table.jobs")).to_contain_text("finished")
    screenshot(page, "jobs")
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page.locator(".hub-card")).to_have_count(9)  # every setting, one card each
    screenshot(page, "settings")


def approve_a_dm(page, screenshot, wid: int, instagram: InstagramEmulator) -> None:
    """Approve a drafted DM from the approval queue; Instagram (the emulator) gets exactly one private reply."""
    page.goto(f"/w/{wid}")
    expect(page.locator(".stats .stat").nth(1).locator(".big")).to_have_text("2")
    page.get_by_role("link", name="Open the approval queue").click()
    row = page.locator("tr", has_text="@jake.smith")
    expect(row.get_by_label("Text of the DM")).to_contain_text("Hi @jake.smith!")
    screenshot(page, "approval-queue")
    row.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash-success")).to_contain_text("DM approved")
    [sent] = instagram.sent_messages
    assert "Hi @jake.smith!" in sent["text"]
    expect(page.locator("tr", has_text="@jake.smith")).to_have_count(0)  # out of the queue
