"""Browser harness: the real app served on a local port, driven by Debian's Chromium through Playwright.

Chromium comes from apt (scripts/install-browser.sh), never from `playwright install`.
Screenshots land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, text
from werkzeug.serving import make_server

from tests.conftest import DEFAULT_PASSWORD, ROOT, verification_link

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WORKSPACE_URL = re.compile(r"/w/\d+$")


def _truncate_all(app) -> None:
    from core.db import db

    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


class LiveServer:
    """The real app in a background thread (threaded werkzeug server on 127.0.0.1, a free port)."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(database_url) -> Iterator[LiveServer]:
    """One server for the whole browser run; tables are emptied after each test (see `live`)."""
    from core.db import db
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "REDIS_URL": None})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns real failures
    server = LiveServer(app).start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live(live_server) -> Iterator[LiveServer]:
    yield live_server
    _truncate_all(live_server.app)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is not installed; the browser tests need it. Run scripts/install-browser.sh "
            "(it runs apt-get install chromium), then run the tests again.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live):
    """A fresh context (no cookies, desktop size) per test, pointed at the live server."""
    context = browser.new_context(viewport=DESKTOP, base_url=live.url)
    context.set_default_timeout(5000)
    page = context.new_page()
    problems = _watch(page)
    yield page
    context.close()
    assert not problems, f"the browser saw problems: {problems}"


@pytest.fixture
def phone_page(browser, live):
    """A fresh context at phone width (390px), as a touch device."""
    context = browser.new_context(viewport=PHONE, base_url=live.url, is_mobile=True, has_touch=True)
    context.set_default_timeout(5000)
    page = context.new_page()
    problems = _watch(page)
    yield page
    context.close()
    assert not problems, f"the browser saw problems: {problems}"


def _watch(page) -> list[str]:
    """Collect script errors and broken assets (a stylesheet that 404s leaves a page unstyled, not failing)."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))

    def csp(message) -> None:
        # A script or handler the Content-Security-Policy blocked: the page silently lost a behaviour.
        if "Content Security Policy" in message.text:
            problems.append(f"CSP: {message.text}")

    page.on("console", csp)

    def check(response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    page.on("response", check)
    return problems


@pytest.fixture
def screenshot():
    """Save a full-page screenshot to tests/artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


class Browse:
    """Console actions a person does, written once for every browser test."""

    def __init__(self, page, app=None) -> None:
        self.page = page
        self.app = app

    def sign_up(
        self, email: str, name: str = "Ada Lovelace", password: str = DEFAULT_PASSWORD, *, verify: bool = True
    ) -> None:
        """Sign up; `verify` then opens the link of the verification mail, as the person would."""
        page = self.page
        page.goto("/signup")
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Work email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/w/new")
        if verify:
            self.verify_email(email)

    def verify_email(self, email: str) -> None:
        from core.db import db
        from core.models import User

        with self.app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.email == email))
        link = verification_link(self.app, user_id)
        self.page.goto("/verify-email/" + link.rsplit("/", 1)[1])
        expect(self.page.locator(".flash-success")).to_contain_text("verified")

    def log_in(self, email: str, password: str = DEFAULT_PASSWORD) -> None:
        page = self.page
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(WORKSPACE_URL)

    def create_workspace(self, name: str, time_zone: str = "Europe/Paris") -> int:
        page = self.page
        page.goto("/w/new")
        page.get_by_label("Workspace name").fill(name)
        page.get_by_label("Time zone").select_option(time_zone)
        page.get_by_role("button", name="Create workspace").click()
        page.wait_for_url(WORKSPACE_URL)
        return int(page.url.rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def browse(page, live) -> Browse:
    return Browse(page, live.app)
