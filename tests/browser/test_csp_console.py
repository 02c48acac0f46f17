"""Issue 17, finding 9 in a real Chromium: with a CSP that allows no inline script, the console's
behaviours (confirmations, the template preview, the workspace switcher) still work, and the browser
reports no blocked script (the `page` fixture fails a test on any CSP report)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_finding_9_console_behaviours_work_under_the_csp(page, browse):
    browse.sign_up("csp@example.com")
    workspace_id = browse.create_workspace("Acme CSP")
    response = page.goto(f"/w/{workspace_id}/dm/templates")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]

    # The live preview comes from /assets/dm_templates.js.
    page.get_by_label("Name").fill("Hello")
    page.locator("#f-body").fill("Hi {{username}} and {{nope}}")
    expect(page.locator("#preview-text")).to_contain_text("Hi ")
    expect(page.locator("#preview-error")).to_contain_text("Unknown variable {{nope}}")
    page.locator("#f-body").fill("Hi {{username}}")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("cell", name="Hello", exact=True)).to_be_visible()

    # data-confirm asks first: dismissed, nothing happens; accepted, the template goes.
    answers = iter([False, True])
    page.on("dialog", lambda dialog: dialog.accept() if next(answers) else dialog.dismiss())
    # The workspace's starter templates sit beside it: delete this one's row.
    created = page.get_by_role("row").filter(has=page.get_by_role("cell", name="Hello", exact=True))
    created.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("cell", name="Hello", exact=True)).to_be_visible()
    created.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("cell", name="Hello", exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name="Hello (English)")).to_be_visible()
