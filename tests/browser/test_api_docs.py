"""/docs in a real headless Chromium: Swagger UI 5 renders the app's whole OpenAPI 3.1 document, offline."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from console.api.docs import swagger_ui_version

pytestmark = pytest.mark.browser

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def test_docs_lists_every_operation_without_leaving_the_machine(page, live, browse, screenshot):
    spec = live.app.test_client().get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    expected = sorted(
        (method.upper(), path) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS
    )
    outside: list[str] = []
    # Any request to another host (a CDN, an online validator) fails the test; the machine has no way out anyway.
    page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).hostname != "127.0.0.1" else None)
    page.set_default_timeout(20000)  # a 1.7 MB viewer on a busy two-core machine
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("VistaFlow API")
    expect(page.locator(".opblock")).to_have_count(len(expected))
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    shown = sorted(
        zip(
            page.locator(".opblock .opblock-summary-method").all_inner_texts(),
            [p.replace("\u200b", "") for p in page.locator(".opblock .opblock-summary-path").all_inner_texts()],
            strict=True,
        )
    )
    assert shown == expected
    assert swagger_ui_version().startswith("5.")
    assert outside == []
    screenshot(page, "api-docs")

    # Opening an operation shows its request body schema (POST /dm/drafts, camelCase fields).
    drafts = page.locator(".opblock-post", has_text="/dm/drafts")
    drafts.locator(".opblock-summary").first.click()
    expect(drafts.first).to_contain_text("targetId")

    # The console's top bar links to the docs.
    browse.sign_up("docs@example.com")
    link = page.get_by_role("link", name="API docs")
    expect(link).to_have_attribute("href", "/docs")
