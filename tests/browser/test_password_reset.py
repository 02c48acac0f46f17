"""Issue 22 in a real browser: "Forgot password?" on the login page, the mailed link, the new password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browse
from tests.core.mail.conftest import run_due_mail
from tests.emulators.smtp import SmtpServer

NEW_PASSWORD = "ochre-lantern-walrus"


@pytest.fixture
def smtp(live):
    with SmtpServer() as server:
        live.app.config["SMTP_URL"] = server.url
        yield server
    live.app.config["SMTP_URL"] = None


def test_forgot_password_from_the_login_page_to_a_new_password(page, live, smtp, screenshot):
    browse = Browse(page, live.app)
    browse.sign_up("ada@example.com")
    run_due_mail(live.app)  # the sign-up's verification mail, already followed
    smtp.messages.clear()
    page.get_by_role("button", name="Log out").click()

    page.goto("/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".flash-info")).to_contain_text("If this address has a VistaFlow account")
    screenshot(page, "forgot-password-sent")

    run_due_mail(live.app)
    (mail,) = smtp.messages
    text = mail.get_body(preferencelist=("plain",)).get_content()
    token = re.search(r"/reset-password/(\S+)", text).group(1)
    page.goto(f"/reset-password/{token}")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    page.wait_for_url("**/login")
    expect(page.locator(".flash-success")).to_contain_text("Your password is changed")

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/w/new")  # signed in (no workspace yet)
    page.goto(f"/reset-password/{token}")  # used once: the page says so and offers a new link
    expect(page.locator(".flash-error")).to_contain_text("already used")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
