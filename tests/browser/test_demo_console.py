"""The demo, as a newcomer sees it in Chromium: log in with the printed credentials and find a full product.

The screenshots taken here (demo-*.png in tests/artifacts/) are the ones the README shows.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.demo import seed as demo
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

NO_HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"
MAIN_PAGES = (
    "",
    "/accounts",
    "/targets",
    "/interactions",
    "/leads",
    "/leads/board",
    "/dm",
    "/dm/history",
    "/dm/templates",
    "/integrations",
    "/chat",
    "/jobs",
    "/members",
    "/settings",
    "/scoring",
)


@pytest.fixture
def made(live):
    with live.app.app_context():
        return demo.create_demo()


def test_a_newcomer_logs_into_the_demo(page, browse, screenshot, made):
    browse.log_in(made.email, made.password)
    expect(page.locator("h1")).to_have_text("Maison Lumière (demo)")
    expect(page.locator(".sandbox-note")).to_contain_text("sandbox account")
    expect(page.locator("figure.chart svg[role=img]")).to_have_count(4)
    expect(page.locator(".hot-list li")).to_have_count(8)
    expect(page.locator(".next-step")).to_have_count(0)
    screenshot(page, "demo-dashboard")

    page.get_by_role("link", name="Targets", exact=True).click()
    expect(page.locator("tbody tr").first).to_be_visible()
    screenshot(page, "demo-targets")
    page.screenshot(path=str(ARTIFACTS / "demo-targets-top.png"))  # the first screenful, for the README
    page.locator("tbody tr a").first.click()
    screenshot(page, "demo-target-detail")

    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_role("link", name="Board", exact=True).click()
    for status in ("new", "contacted", "replied", "qualified", "won", "lost"):
        expect(page.locator(f".board-col[data-status={status}] .lead-card").first).to_be_visible()
    screenshot(page, "demo-leads-board")

    page.get_by_role("link", name="Accounts", exact=True).click()
    expect(page.locator("td", has_text="@maison.lumiere").locator(".badge")).to_have_text("Sandbox")

    # Approving a draft goes through the real send path; the sandbox records it instead of calling Instagram.
    page.get_by_role("link", name="DMs", exact=True).click()
    screenshot(page, "demo-approval-queue")
    drafts = page.get_by_role("button", name="Approve", exact=True)
    before = drafts.count()
    assert before >= 3
    drafts.first.click()
    expect(page.locator(".flash-success")).to_contain_text("DM approved")
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(before - 1)

    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.locator("table.jobs")).to_contain_text("Collection")
    expect(page.locator("table.jobs")).to_contain_text("Scoring")
    expect(page.locator("table.jobs")).to_contain_text("DM send")
    screenshot(page, "demo-jobs")


def test_every_main_page_fits_a_phone(phone_page, screenshot, made):
    page = phone_page
    page.goto("/login")
    page.get_by_label("Email").fill(made.email)
    page.get_by_label("Password").fill(made.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/w/{made.workspace_id}")
    for path in MAIN_PAGES:
        page.goto(f"/w/{made.workspace_id}{path}")
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate(NO_HORIZONTAL_OVERFLOW), f"{path or '/'} scrolls sideways on a phone"
    page.goto(f"/w/{made.workspace_id}")
    screenshot(page, "demo-phone-dashboard")
