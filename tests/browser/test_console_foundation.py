"""The console's foundation pages, used in a real headless Chromium like a person would."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WORKSPACE_URL, Browse
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

NO_HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def register(live, email: str, name: str) -> None:
    """Another person signs up through the JSON API, so the console can invite them by email."""
    response = live.app.test_client().post(
        "/auth/register", json={"email": email, "password": DEFAULT_PASSWORD, "name": name}
    )
    assert response.status_code == 201, response.get_json()


def switcher_labels(page) -> list[str]:
    return [label.strip() for label in page.locator("#ws-switch option").all_inner_texts()]


def test_sign_up_create_and_switch_workspaces(page, browse, screenshot):
    page.goto("/signup")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Work email").fill("ada@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()

    password = page.get_by_label("Password")
    error = page.locator("#e-password")
    expect(error).to_be_visible()
    expect(error).to_contain_text("10")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", "e-password")
    # The other fields keep what was typed; the error sits in the password's own field box.
    expect(page.get_by_label("Work email")).to_have_value("ada@example.com")
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator(".field.has-error #f-password")).to_have_count(1)
    screenshot(page, "signup-error")

    password.fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/w/new")
    expect(page.locator(".flash-success")).to_contain_text("Welcome")
    expect(page.locator("#ws-switch")).to_have_count(0)  # nothing to switch to yet
    expect(page.locator("#verify-notice")).to_contain_text("Confirm your email address")
    screenshot(page, "workspace-new")

    acme = browse.create_workspace("Acme Growth")
    expect(page.locator("h1")).to_have_text("Acme Growth")
    expect(page.locator(".flash-success")).to_contain_text("created")
    assert switcher_labels(page) == ["Acme Growth"]
    screenshot(page, "workspace-created")

    # A second workspace needs the address verified: the link from the sign-up mail.
    page.goto("/w/new")
    page.get_by_label("Workspace name").fill("Globex Sales")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.locator(".flash-error, .error").first).to_contain_text("Verify your email address")
    browse.verify_email("ada@example.com")
    expect(page.locator("#verify-notice")).to_have_count(0)
    globex = browse.create_workspace("Globex Sales", time_zone="America/New_York")
    assert switcher_labels(page) == ["Acme Growth", "Globex Sales"]
    expect(page.locator("#ws-switch")).to_have_value(str(globex))

    page.locator("#ws-switch").select_option(label="Acme Growth")
    page.wait_for_url(f"**/w/{acme}")
    expect(page.locator("h1")).to_have_text("Acme Growth")
    expect(page.locator("#ws-switch")).to_have_value(str(acme))

    # The home page remembers the last workspace used.
    page.goto("/")
    page.wait_for_url(f"**/w/{acme}")
    page.locator("#ws-switch").select_option(label="Globex Sales")
    page.wait_for_url(f"**/w/{globex}")
    page.goto("/")
    page.wait_for_url(f"**/w/{globex}")
    expect(page.locator(".sidebar a.active")).to_have_text("Dashboard")


def test_members_invite_change_role_and_last_owner(page, browser, browse, live, screenshot):
    register(live, "grace@example.com", "Grace Hopper")
    browse.sign_up("ada@example.com")
    workspace_id = browse.create_workspace("Acme Growth")
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("link", name="Members", exact=True).click()
    page.wait_for_url(f"**/w/{workspace_id}/members")
    expect(page.locator(".sidebar a.active")).to_have_text("Members")

    # A malformed email is refused inline; an unknown one gets the same answer as a known one.
    form = page.locator("form.row-form")
    form.get_by_label("Email").fill("nobody-at-example.com")
    form.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#e-email")).to_contain_text("@-sign")
    form = page.locator("form.row-form")
    form.get_by_label("Email").fill("nobody@example.com")
    form.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash-success")).to_contain_text("Invitation sent to nobody@example.com")
    pending = page.locator("#invitations tbody tr", has_text="nobody@example.com")
    expect(pending).to_have_count(1)
    pending.get_by_role("button", name="Revoke").click()
    expect(page.locator(".flash-success")).to_contain_text("The invitation to nobody@example.com is revoked.")
    expect(page.locator("#invitations")).to_have_count(0)

    form = page.locator("form.row-form")
    form.get_by_label("Email").fill("grace@example.com")
    form.get_by_label("Role").select_option("member")
    form.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash-success")).to_contain_text("Invitation sent to grace@example.com")
    link = page.locator("#invite-link").inner_text()
    # Grace, in a browser of her own, opens the link, logs in and accepts.
    grace = browser.new_context(base_url=live.url).new_page()
    grace.goto(link.replace(link.split("/invitations/")[0], ""))
    expect(grace.get_by_role("heading", name="Join Acme Growth")).to_be_visible()
    grace.get_by_role("link", name="Log in").click()
    grace.get_by_label("Email").fill("grace@example.com")
    grace.get_by_label("Password").fill(DEFAULT_PASSWORD)
    grace.get_by_role("button", name="Log in").click()
    grace.get_by_role("button", name="Accept and join").click()
    grace.wait_for_url(f"**/w/{workspace_id}")
    expect(grace.locator(".flash-success")).to_contain_text("Welcome to Acme Growth!")
    grace.context.close()

    page.reload()
    grace_row = page.locator("tbody tr", has_text="grace@example.com")
    expect(grace_row.get_by_label("Role of Grace Hopper")).to_have_value("member")

    grace_row.get_by_label("Role of Grace Hopper").select_option("admin")
    expect(page.locator(".flash-success")).to_have_text("Role updated.")
    page.reload()
    expect(page.locator("tbody tr", has_text="grace@example.com").get_by_label("Role of Grace Hopper")).to_have_value(
        "admin"
    )
    screenshot(page, "members")

    # Ada is the only owner: leaving would orphan the workspace.
    ada_row = page.locator("tbody tr", has_text="ada@example.com")
    ada_row.get_by_role("button", name="Leave").click()
    expect(page.locator(".flash-error")).to_contain_text("owner")
    expect(page.locator("tbody tr")).to_have_count(2)

    # Demoting the last owner is refused the same way.
    page.locator("tbody tr", has_text="ada@example.com").get_by_label("Role of Ada Lovelace").select_option("member")
    expect(page.locator(".flash-error")).to_contain_text("owner")
    expect(page.locator("tbody tr", has_text="ada@example.com").get_by_label("Role of Ada Lovelace")).to_have_value(
        "owner"
    )

    # Removing somebody else works.
    page.locator("tbody tr", has_text="grace@example.com").get_by_role("button", name="Remove").click()
    expect(page.locator(".flash-success")).to_have_text("Member removed.")
    expect(page.locator("tbody tr")).to_have_count(1)


def test_settings_inline_error_then_save(page, browse, screenshot):
    browse.sign_up("ada@example.com")
    workspace_id = browse.create_workspace("Acme Growth")
    page.get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_url(f"**/w/{workspace_id}/settings")

    quota = page.get_by_label("Default daily DM quota per account")
    quota.fill("0")
    page.get_by_label("Name", exact=True).fill("Acme Outreach")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#e-default_daily_dm_quota")).to_be_visible()
    expect(quota).to_have_attribute("aria-invalid", "true")
    expect(quota).to_have_value("0")  # what was typed is kept, to be corrected
    expect(page.get_by_label("Name", exact=True)).to_have_value("Acme Outreach")
    screenshot(page, "settings-error")

    page.goto(f"/w/{workspace_id}/settings")  # nothing was saved by the refused form
    expect(page.get_by_label("Name", exact=True)).to_have_value("Acme Growth")
    expect(page.get_by_label("Default daily DM quota per account")).to_have_value("50")

    page.get_by_label("Name", exact=True).fill("Acme Outreach")
    page.get_by_label("Default daily DM quota per account").fill("120")
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_label("Turn every hot target into a lead automatically").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_have_text("Settings saved.")

    page.reload()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Acme Outreach")
    expect(page.get_by_label("Default daily DM quota per account")).to_have_value("120")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    expect(page.get_by_label("Turn every hot target into a lead automatically")).to_be_checked()
    screenshot(page, "settings")

    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.locator(".quota-default")).to_contain_text("Default quota: 120 DMs per account per day")
    screenshot(page, "workspace-overview")
    assert switcher_labels(page) == ["Acme Outreach"]


def test_log_out_and_log_in_again(page, browse, screenshot):
    browse.sign_up("ada@example.com")
    workspace_id = browse.create_workspace("Acme Growth")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    expect(page.locator(".flash")).to_contain_text("logged out")
    page.goto(f"/w/{workspace_id}/members")
    page.wait_for_url(re.compile(r"/login\?next=/w/\d+/members$"))
    screenshot(page, "login")

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid")
    expect(page.get_by_label("Email")).to_have_value("ada@example.com")

    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/w/{workspace_id}/members")  # back where ?next= said
    expect(page.locator("h1")).to_have_text("Members")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    Browse(page).log_in("ada@example.com")
    assert WORKSPACE_URL.search(page.url)


def test_usable_at_phone_width(phone_page, live, screenshot):
    page = phone_page
    browse = Browse(page, live.app)
    page.goto("/login")
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    browse.sign_up("ada.with.a.rather.long.address@example.com", name="Ada Augusta King, Countess of Lovelace")
    workspace_id = browse.create_workspace("Acme Growth and Partners International")
    browse.create_workspace("Globex Sales")
    for path, name in [
        (f"/w/{workspace_id}", "phone-overview"),
        (f"/w/{workspace_id}/members", "phone-members"),
        (f"/w/{workspace_id}/settings", "phone-settings"),
        ("/w/new", "phone-new-workspace"),
    ]:
        page.goto(path)
        assert page.evaluate(NO_HORIZONTAL_OVERFLOW), f"{path} scrolls sideways at 390px"
        screenshot(page, name)
    # The sidebar's links are all reachable at this width.
    page.goto(f"/w/{workspace_id}")
    for label in ("Dashboard", "Members", "Settings"):
        expect(page.locator(".sidebar").get_by_role("link", name=label, exact=True)).to_be_visible()
    page.locator(".sidebar").get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_url(f"**/w/{workspace_id}/settings")


def test_keyboard_skip_link_first_and_focus_visible(page, browse):
    browse.sign_up("ada@example.com")
    workspace_id = browse.create_workspace("Acme Growth")
    for path in (f"/w/{workspace_id}", f"/w/{workspace_id}/members", "/login"):
        if path == "/login":
            # Wait for the log-out POST and its redirect to finish: a late redirect would reload the page mid-test.
            with page.expect_navigation():
                page.get_by_role("button", name="Log out").click()
            page.wait_for_load_state()
        page.goto(path)
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.className + '|' + document.activeElement.textContent")
        assert focused.startswith("skip|Skip to content"), f"first Tab on {path} focused {focused!r}"
        skip = page.locator("a.skip")
        box = skip.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"
        assert_focus_ring(skip)
        page.keyboard.press("Enter")
        assert page.url.endswith("#main")
        # The next Tab lands inside the main content, not back in the header.
        page.keyboard.press("Tab")
        inside_main = page.evaluate("document.getElementById('main').contains(document.activeElement)")
        assert inside_main, f"Tab after the skip link on {path} did not land in the content"
        assert_focus_ring(page.locator(":focus"))


def assert_focus_ring(locator) -> None:
    outline = locator.evaluate("el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
    assert outline[0] != "none" and outline[1] != "0px", f"no visible focus ring: {outline}"


def test_missing_workspace_shows_the_404_page(page, browse, screenshot):
    browse.sign_up("ada@example.com")
    mine = browse.create_workspace("Acme Growth")
    page.goto(f"/w/{mine + 1000}/members")
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.locator("#ws-switch")).to_have_value(str(mine))  # the layout, with a way back
    expect(page.locator(".sidebar")).to_have_count(0)
    screenshot(page, "not-found")
    page.get_by_role("link", name="Back to your workspaces").click()
    page.wait_for_url(f"**/w/{mine}")


def test_switcher_works_without_javascript(browser, live):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live.url, java_script_enabled=False)
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        browse = Browse(page, live.app)
        browse.sign_up("ada@example.com")
        acme = browse.create_workspace("Acme Growth")
        browse.create_workspace("Globex Sales")
        page.locator("#ws-switch").select_option(label="Acme Growth")
        page.locator(".switcher").get_by_role("button", name="Go").click()
        page.wait_for_url(f"**/w/{acme}")
        expect(page.locator("h1")).to_have_text("Acme Growth")
    finally:
        context.close()
