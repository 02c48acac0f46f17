"""Finding 3 of the security review: logout ends the sign-in, remember-me cookie included, and the account
page lists every browser signed in and signs out the others."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.models import AuditEntry, ConsoleSession
from tests.conftest import DEFAULT_PASSWORD, Console

FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile Safari/604.1"


def _browser(app, user_agent: str) -> Console:
    browser = Console(app.test_client())
    browser.client.environ_base["HTTP_USER_AGENT"] = user_agent
    return browser


def _sign_in(browser: Console, email: str, remember: bool = False) -> None:
    form = {"email": email, "password": DEFAULT_PASSWORD, **({"remember": "on"} if remember else {})}
    assert browser.post_form("/login", form).status_code == 302


def _signed_in(browser: Console) -> bool:
    return browser.get("/account").status_code == 200


def test_finding_3_a_remember_me_cookie_opens_nothing_after_logout(app, factory):
    user = factory.user()
    laptop = _browser(app, FIREFOX)
    _sign_in(laptop, user.email, remember=True)
    remember = laptop.client.get_cookie("remember_token")
    assert remember is not None
    assert laptop.post_form("/account", {}, action="/logout").status_code == 302

    thief = _browser(app, "curl/8.5")  # only the copied cookie, no session, another User-Agent
    thief.client.set_cookie("remember_token", remember.value)
    answer = thief.get("/account")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    with app.app_context():
        row = db.session.scalar(select(ConsoleSession))
        assert row.ended_at is not None and row.remember


def test_finding_3_the_account_page_lists_sign_ins_and_signs_out_the_others(app, factory):
    user = factory.user()
    laptop, phone = _browser(app, FIREFOX), _browser(app, PHONE)
    _sign_in(laptop, user.email)
    _sign_in(phone, user.email, remember=True)
    page = laptop.get("/account").get_data(as_text=True)
    assert "Firefox on macOS" in page and "Safari on iPhone" in page
    assert page.count("this browser") == 1 and "Sign out other sessions" in page

    assert laptop.post_form("/account", {}, action="/account/sessions/end-others").status_code == 303
    assert "1 other session signed out" in laptop.get("/account").get_data(as_text=True)
    assert _signed_in(laptop) and not _signed_in(phone)
    phone.client.delete_cookie("session")  # the remember-me cookie alone does not bring it back
    assert not _signed_in(phone)
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.other_sessions_ended"))


def test_finding_3_one_session_is_ended_by_its_owner_only(app, factory):
    ann, bob = factory.user(), factory.user()
    ann_laptop, ann_phone, bob_laptop = _browser(app, FIREFOX), _browser(app, PHONE), _browser(app, FIREFOX)
    _sign_in(ann_laptop, ann.email)
    _sign_in(ann_phone, ann.email)
    _sign_in(bob_laptop, bob.email)
    with app.app_context():
        phone_row = db.session.scalar(
            select(ConsoleSession.id).where(
                ConsoleSession.user_agent == PHONE, ConsoleSession.user_id == ann.user["id"]
            )
        )
    # Bob cannot end Ann's session: it is not his.
    assert bob_laptop.post_form("/account", {}, action=f"/account/sessions/{phone_row}/end").status_code == 404
    assert _signed_in(ann_phone)
    assert ann_laptop.post_form("/account", {}, action=f"/account/sessions/{phone_row}/end").status_code == 303
    assert not _signed_in(ann_phone) and _signed_in(ann_laptop) and _signed_in(bob_laptop)


def test_finding_3_a_password_change_leaves_only_this_browser_in_the_list(app, factory):
    user = factory.user()
    laptop, phone = _browser(app, FIREFOX), _browser(app, PHONE)
    _sign_in(laptop, user.email)
    _sign_in(phone, user.email)
    new = "ochre-lantern-walrus"
    changed = laptop.post_form(
        "/account",
        {"current_password": DEFAULT_PASSWORD, "new_password": new, "confirm_password": new},
        action="/account/password",
    )
    assert changed.status_code == 303
    assert _signed_in(laptop) and not _signed_in(phone)
    page = laptop.get("/account").get_data(as_text=True)
    assert "Safari on iPhone" not in page and page.count("this browser") == 1


def test_keep_me_logged_in_survives_the_browser_closing_and_the_next_page(app, factory):
    user = factory.user()
    laptop = _browser(app, FIREFOX)
    _sign_in(laptop, user.email, remember=True)
    laptop.client.delete_cookie("session")  # the browser was closed: only the remember-me cookie is left
    assert _signed_in(laptop)
    # flask-login's "strong" protection used to drop a restored sign-in on the request after.
    assert _signed_in(laptop) and _signed_in(laptop)
    assert laptop.client.get_cookie("remember_token") is not None
