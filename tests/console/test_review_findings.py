"""Issue 17, the web doors: findings 8 (/readyz details), 9 (HSTS, CSP without 'unsafe-inline', no
inline handler), 13 (deep JSON on every JSON endpoint), 15 (one NUL item in a Meta delivery or a polled
page), 16 (extreme dates in the interactions lists), 18 (error texts). Through the real doors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import Interaction
from tests.conftest import ROOT, csrf_from
from tests.console.collection.test_webhooks_meta import IG_ID, SECRET, VERIFY, comment_payload, deliver, message_payload
from tests.factories import make_account

TEMPLATES = ROOT / "console" / "templates"
DEEP = b"[" * 100_000


@pytest.fixture
def owner(factory):
    user = factory.user()
    user.workspace = factory.workspace(user)
    return user


# ---------------------------------------------------------------- 8: /readyz


def test_finding_8_readyz_answers_anonymous_callers_with_the_status_only(client):
    remote = client.get("/readyz", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 200
    assert remote.get_json() == {"status": "ready"}
    text = remote.get_data(as_text=True)
    assert "postgresql" not in text and "redis" not in text and "head" not in text


def test_finding_8_readyz_details_for_loopback(client):
    local = client.get("/readyz")  # the test client calls from 127.0.0.1
    assert local.get_json()["checks"]["migrations"]["ok"] is True


class TestReadyzWithMetricsToken:
    @pytest.fixture
    def app_config(self):
        return {"METRICS_TOKEN": "scrape-secret"}

    def test_finding_8_readyz_details_need_the_metrics_token_when_set(self, client):
        assert "checks" not in client.get("/readyz").get_json()
        bearer = client.get("/readyz", headers={"Authorization": "Bearer scrape-secret"})
        assert bearer.get_json()["checks"]["database"]["ok"] is True
        wrong = client.get(
            "/readyz", headers={"Authorization": "Bearer nope"}, environ_base={"REMOTE_ADDR": "10.1.1.1"}
        )
        assert wrong.get_json() == {"status": "ready"}


# ---------------------------------------------------------------- 9: headers


def _csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else "" for part in header.split("; ")}


def test_finding_9_csp_has_a_nonce_and_no_unsafe_inline_script(client, console, owner):
    console.login(owner.email)
    first, second = console.get(f"/w/{owner.workspace['id']}"), console.get(f"/w/{owner.workspace['id']}")
    policy = _csp(first)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{20,}'", policy["script-src"])
    assert policy["script-src"] != _csp(second)["script-src"]  # a fresh nonce per answer
    assert policy["base-uri"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["form-action"].startswith("'self'") and policy["frame-ancestors"] == "'none'"
    assert "Strict-Transport-Security" not in first.headers  # development: plain http on localhost


class TestProduction:
    @pytest.fixture
    def app_config(self, instagram_emulator):
        return instagram_emulator.config() | {"VISTAFLOW_ENV": "production"}

    def test_finding_9_production_answers_with_hsts(self, client, instagram_emulator):
        for path in ("/healthz", "/login", "/openapi.json"):
            assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"

    def test_finding_9_form_action_allows_the_consent_page_our_connect_forms_redirect_to(self, client):
        assert instagram_emulator_origin(client) in _csp(client.get("/login"))["form-action"]


def instagram_emulator_origin(client) -> str:
    url = client.application.config["INSTAGRAM_AUTHORIZE_URL"]
    return "/".join(url.split("/")[:3])


def test_finding_9_no_template_has_an_inline_script_or_handler():
    found = []
    for path in sorted(Path(TEMPLATES).rglob("*.html")):
        html = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", html):
            found.append(f"{path.relative_to(TEMPLATES)}: {match.group()}")
        for match in re.finditer(r"\son[a-z]+\s*=", html):
            found.append(f"{path.relative_to(TEMPLATES)}: {match.group().strip()}")
        found += [f"{path.relative_to(TEMPLATES)}: javascript: URL" for _ in re.finditer(r"javascript:", html)]
    assert found == []


def test_finding_9_every_page_script_is_served_from_assets(client, console, owner):
    console.login(owner.email)
    html = console.get(f"/w/{owner.workspace['id']}/dm/templates").get_data(as_text=True)
    assert '<script src="/assets/app.js" defer></script>' in html
    assert '<script src="/assets/dm_templates.js"></script>' in html
    assert client.get("/assets/app.js").status_code == 200


# ---------------------------------------------------------------- 13: deep JSON


@pytest.mark.parametrize(
    "method, path, headers",
    [
        ("POST", "/auth/login", {}),
        ("POST", "/auth/register", {}),
        ("POST", "/webhooks/meta", "signed"),
        ("POST", "/telegram/webhook", {"X-Telegram-Bot-Api-Secret-Token": "tg-secret"}),
        ("POST", "/workspaces", "bearer"),
        ("PATCH", "/users/me", "bearer"),
    ],
)
def test_finding_13_deeply_nested_json_is_a_400_on_every_json_endpoint(client, owner, method, path, headers):
    if headers == "signed":
        import hashlib
        import hmac

        headers = {"X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), DEEP, hashlib.sha256).hexdigest()}
    elif headers == "bearer":
        headers = owner.headers()
    response = client.open(path, method=method, data=DEEP, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "malformed_request"
    assert error["message"] == "The JSON is nested too deeply (more than 64 levels)."
    assert error["fields"] == {"body": "At most 64 levels of nested arrays and objects."}


def test_finding_13_objects_nested_deeply_and_brackets_inside_strings(client, owner):
    objects = b'{"a":' * 70 + b"1" + b"}" * 70
    assert client.post("/auth/login", data=objects, content_type="application/json").status_code == 400
    # Brackets inside a string are text, not nesting: the login is simply refused as a login.
    inside = json.dumps({"email": "x@example.com", "password": "[" * 200})
    assert client.post("/auth/login", data=inside, content_type="application/json").status_code == 401


def test_finding_13_unclosed_deep_json_without_content_type_is_refused_too(client):
    # The Meta webhook parses its raw body whatever the content type; the check does not trust the header.
    response = client.post("/webhooks/meta", data=DEEP, headers={"Content-Type": "text/plain"})
    assert response.status_code == 400


@pytest.fixture
def app_config(request):
    config = {"META_APP_SECRET": SECRET, "META_WEBHOOK_VERIFY_TOKEN": VERIFY, "TELEGRAM_WEBHOOK_SECRET": "tg-secret"}
    if "instagram_config" in request.fixturenames:
        config |= request.getfixturevalue("instagram_config")
    return config


@pytest.fixture
def instagram_config(instagram_emulator) -> dict:
    """The Instagram emulator's settings, for the tests whose app collects from it (see app_config)."""
    return instagram_emulator.config()


# ---------------------------------------------------------------- 15: NUL in a batch


@pytest.fixture
def account_id(app, owner):
    with app.app_context():
        return make_account(owner.workspace["id"], platform_user_id=IG_ID).id


def _texts(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Interaction.platform_id, Interaction.text)).all())


def test_finding_15_one_nul_item_in_a_meta_delivery_does_not_lose_the_others(client, app, account_id):
    payload = comment_payload("c-good-1", text="how much?")
    entry = payload["entry"][0]
    bad = comment_payload("c-bad", text="price\x00please", user="u-bob")["entry"][0]["changes"][0]
    bad["value"]["from"]["username"] = "bo\x00b"
    good = comment_payload("c-good-2", text="love it", user="u-carl")["entry"][0]["changes"][0]
    entry["changes"] += [bad, good]
    message = message_payload(mid="m-nul", text="hi\x00", sender="u-dana")["entry"][0]["messaging"][0]
    entry["messaging"] = [message]
    response = deliver(client, payload)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["stored"] == 4
    assert _texts(app) == {"c-good-1": "how much?", "c-bad": "priceplease", "c-good-2": "love it", "m-nul": "hi"}
    with app.app_context():
        raw = db.session.scalar(select(Interaction.raw).where(Interaction.platform_id == "c-bad"))
        assert raw["vistaflow_cleaned"]["fields"] == ["author_username", "text", "raw"]
        assert "\x00" not in json.dumps(raw)
    # Meta redelivers: nothing is stored twice.
    assert deliver(client, payload).get_json()["stored"] == 0


def test_finding_15_lone_surrogates_and_nul_ids_in_a_delivery_are_stored_or_skipped(client, app, account_id):
    payload = comment_payload("c-surrogate", text="caf\ud800e")
    echo = message_payload(mid="m\x00echo", text="ours", sender=IG_ID, is_echo=True)["entry"][0]["messaging"][0]
    payload["entry"][0]["messaging"] = [echo]
    payload["entry"].append({"id": "1784\x000", "time": 1, "changes": comment_payload("c-x")["entry"][0]["changes"]})
    response = deliver(client, payload)
    assert response.status_code == 200
    assert _texts(app)["c-surrogate"] == "caf\ufffde"


@pytest.mark.usefixtures("instagram_config")
def test_finding_15_a_polled_comment_with_nul_does_not_block_collection(app, factory, instagram_emulator):
    from core.services.collection.cycle import collect_account
    from tests.dm_setup import instagram_shop

    workspace_id = factory.workspace(factory.user(email="poll@example.com"))["id"]
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace_id)
        instagram_emulator.add_comment(shop.media_id, "good one", "ann", "u-ann")
        instagram_emulator.add_comment(shop.media_id, "bad\x00one", "b\x00b", "u-bob")
        instagram_emulator.add_comment(shop.media_id, "another good", "cat", "u-cat")
        result = collect_account(shop.account_id)
        assert result.new_interactions == 3 and result.errors == [], result
        texts = set(
            db.session.scalars(select(Interaction.text).where(Interaction.social_account_id == shop.account_id))
        )
        assert {"good one", "badone", "another good"} <= texts
        # The next run goes on normally (it used to fail on the same page forever).
        again = collect_account(shop.account_id)
        assert again.new_interactions == 0 and again.errors == [], again
        assert db.session.scalar(select(func.count()).select_from(Interaction)) == 3


# ---------------------------------------------------------------- 16: extreme dates


@pytest.mark.parametrize(
    "query, field",
    [
        ("since=0001-01-01", "since"),
        ("until=9999-12-31T23:59:59-12:00", "until"),
        ("since=0001-01-01T00:00:00%2B14:00", "since"),
        ("until=9999-12-31T23:59:59", "until"),
    ],
)
def test_finding_16_extreme_dates_in_the_interactions_api_are_422(owner, query, field):
    response = owner.get(f"/interactions/workspace/{owner.workspace['id']}?{query}")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"] == {field: "Use a date between 1900-01-01 and 2999-12-31."}


def test_finding_16_extreme_dates_in_the_leads_api_are_422(owner):
    ws = owner.workspace["id"]
    for query in ("created_from=0001-01-01", "updated_to=9999-12-31", "created_to=9999-12-31T23:59:59-12:00"):
        response = owner.get(f"/leads/workspace/{ws}?{query}")
        assert response.status_code == 422, (query, response.get_json())
        assert query.split("=")[0] in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Pacific/Kiritimati", "America/Adak"])
def test_finding_16_extreme_dates_in_the_console_interactions_page_are_422_not_500(factory, console, zone):
    user = factory.user(email=f"dates-{zone.replace('/', '-').lower()}@example.com")
    ws = factory.workspace(user, time_zone=zone)["id"]
    console.login(user.email)
    for query in ("since=0001-01-01T00:00", "until=9999-12-31T23:59", "since=0001-01-01T00:00&until=9999-12-31T23:59"):
        page = console.get(f"/w/{ws}/interactions?{query}")
        assert page.status_code == 422, (query, page.status_code)
        assert "Use a date between 1900-01-01 and 2999-12-31." in page.get_data(as_text=True), query


# ---------------------------------------------------------------- 18: error texts


def test_finding_18_sequence_step_errors_are_0_based_and_camel_case(owner):
    ws = owner.workspace["id"]
    template = owner.post(f"/dm/templates/{ws}", json={"name": "Hi", "body": "Hi {{username}}"}).get_json()
    response = owner.post(
        f"/dm/sequences/{ws}",
        json={"name": "Follow", "steps": [{"templateId": template["id"]}, {"templateId": 999999, "delayHours": 2}]},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"steps.1.templateId": "No such template here."}
    first = owner.post(f"/dm/sequences/{ws}", json={"name": "Follow", "steps": [{"templateId": 999999}]})
    assert first.get_json()["error"]["fields"] == {"steps.0.templateId": "No such template here."}
    # The API's own validation names fields the same way.
    shape = owner.post(f"/dm/sequences/{ws}", json={"name": "Follow", "steps": [{"templateId": "x"}]})
    assert list(shape.get_json()["error"]["fields"]) == ["steps.0.templateId"]


def test_finding_18_an_admin_demoting_an_owner_is_told_why(factory, owner):
    ws = owner.workspace["id"]
    admin = factory.member(owner, ws, role="admin")
    co_owner = factory.member(owner, ws, role="owner")
    response = admin.patch(f"/workspaces/{ws}/members/{co_owner.user['id']}", json={"role": "member"})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Only an owner can change an owner's role."
    promote = admin.patch(f"/workspaces/{ws}/members/{admin.user['id']}", json={"role": "owner"})
    assert promote.get_json()["error"]["message"] == "Only an owner can grant the owner role."
    removal = admin.delete(f"/workspaces/{ws}/members/{co_owner.user['id']}")
    assert removal.get_json()["error"]["message"] == "Only an owner can remove an owner."


def test_console_form_with_deep_json_looking_text_is_not_refused(console, owner):
    # Only JSON (bodies, Slack's payload field) is depth-checked: a note full of brackets is just text.
    console.login(owner.email)
    token = csrf_from(console.get("/w/new").get_data(as_text=True))
    response = console.client.post("/w/new", data={"csrf_token": token, "name": "[" * 200, "time_zone": "UTC"})
    assert response.status_code != 400


# ---------------------------------------------------------------- 12: redirects and the access log


@pytest.mark.parametrize(
    ("referrer", "back_to"),
    [
        ("https://evil.example/phish", None),
        ("http://evil.example/w/1/leads", None),
        ("//evil.example/x", None),
        ("https://user@localhost/w/1/leads", None),  # userinfo makes it another netloc
        ("javascript://localhost/%0aalert(1)", None),
        ("https://localhost/w/{ws}/leads", "/w/{ws}/leads"),  # a TLS proxy in front: the host decides
        ("http://localhost/w/{ws}/leads?status=new", "/w/{ws}/leads?status=new"),
    ],
)
def test_finding_12_a_refused_form_goes_back_only_to_a_page_of_ours(client, console, owner, referrer, back_to):
    ws = owner.workspace["id"]
    console.login(owner.email)
    page = f"/w/{ws}/leads"
    token = csrf_from(client.get(page).get_data(as_text=True))
    for action, form in (
        (f"/w/{ws}/leads/bulk", {"lead_ids": ["abc"]}),
        (f"/w/{ws}/dm/bulk-approve", {"dm_ids": ["x"]}),
    ):
        answer = client.post(action, data={"csrf_token": token, **form}, headers={"Referer": referrer.format(ws=ws)})
        assert answer.status_code == 303
        location = answer.headers["Location"]
        assert "evil.example" not in location and not location.startswith("https://")
        if back_to is not None:
            assert location == back_to.format(ws=ws)
        else:
            assert location.startswith("/") and not location.startswith("//")
