"""Issue 17's fuzz pass: hostile input at every door, recorded as tests. Zero answers of 500, zero lost
valid items, zero failed jobs.

Doors: every JSON API operation (bodies and query strings), every console page and form, the Slack
events endpoint (signed commands, actions and events), the Telegram webhook, the Meta webhook and the
OAuth callbacks. Hostile values: deep nesting, huge and non-finite numbers, NUL and lone surrogates,
invalid UTF-8, odd dates, oversized fields. Routes and objects come from the isolation matrix, so a new
route is fuzzed without editing this file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import Interaction, JobRun
from tests.conftest import CSRF_RE, DEFAULT_PASSWORD, ROOT
from tests.factories import make_account
from tests.test_isolation_matrix import (
    _operation,
    _populate,
    build_url,
    fillable,
    is_html,
    json_body,
    methods_of,
    param_values,
)

# Values a JSON body may carry. Strings are written as JSON escapes where Python's json would refuse them.
HOSTILE_JSON_VALUES: list[tuple[str, str]] = [
    ("nul", '"a\\u0000b"'),
    ("lone surrogate", '"caf\\ud800"'),
    ("oversized", json.dumps("x" * 200_000)),
    ("huge int", str(10**30)),
    ("negative huge int", str(-(10**30))),
    ("int beyond str digits", "9" * 5000),
    ("non-finite", "1e400"),
    ("minus zero", "-0.0"),
    ("ancient date", '"0001-01-01"'),
    ("far date", '"9999-12-31T23:59:59-12:00"'),
    ("nested", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"),
    ("object", '{"$gt": ""}'),
    ("bool", "true"),
    ("null", "null"),
]
# The values also tried one field at a time (inside an otherwise valid body, so validation reaches them).
PER_FIELD = {"nul", "lone surrogate", "huge int", "non-finite", "far date"}
# Whole bodies, whatever the operation expects.
HOSTILE_BODIES: list[tuple[str, bytes]] = [
    ("deep array", b"[" * 100_000),
    ("deep object", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    ("invalid utf-8", b'{"name": "\xff\xfe\xfd"}'),
    ("bom", b'\xef\xbb\xbf{"name": "x"}'),
    ("truncated", b'{"name": "x'),
    ("not an object", b'"just a string"'),
    ("huge literal", b'{"name": ' + b"1" * 5000 + b"}"),
]
# Values a form field or query parameter may carry (already URL-encoded where the raw bytes matter).
HOSTILE_TEXT: list[tuple[str, str]] = [
    ("nul", quote("a\x00b")),
    ("invalid utf-8", "%FF%FE%FD"),
    ("oversized", "x" * 20_000),  # times every form field: still under MAX_CONTENT_LENGTH, so validation sees it
    ("huge number", "9" * 40),
    ("negative", "-1"),
    ("ancient date", "0001-01-01T00:00"),
    ("far date", quote("9999-12-31T23:59:59-12:00")),
    ("brackets", "%5B" * 200),
    ("unicode digits", quote("١٢٣")),
    ("spaces", "%20%20%20"),
]
TEMPLATES = ROOT / "console" / "templates"
_TEMPLATE_FIELDS = set(re.findall(r'name="([a-z_0-9]+)"', "".join(p.read_text() for p in TEMPLATES.rglob("*.html"))))
FORM_FIELDS = [
    *sorted(_TEMPLATE_FIELDS - {"csrf_token", "viewport"}),
    *("template_1", "delay_1", "since", "until", "url", "token", "database_id", "spreadsheet_id", "sheet_name"),
]
# The session must survive the run: these would end it (and are fuzzed by their own tests).
SKIPPED = {"web.logout", "web.delete_account", "users.delete_me_delete"}

SIGNING_SECRET = "slack-signing"
TELEGRAM_SECRET = "tg-secret"
META_SECRET = "meta-secret"
IG_ID = "17841400000000999"


@pytest.fixture
def app_config():
    return {
        "SLACK_CLIENT_ID": "slack-client",
        "SLACK_CLIENT_SECRET": "slack-secret",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "INSTAGRAM_CLIENT_ID": "ig-client",
        "INSTAGRAM_CLIENT_SECRET": "ig-secret",
        "TIKTOK_CLIENT_KEY": "tt-client",
        "TIKTOK_CLIENT_SECRET": "tt-secret",
        "TELEGRAM_BOT_TOKEN": "123:tg",
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "META_APP_SECRET": META_SECRET,
        "META_WEBHOOK_VERIFY_TOKEN": "verify",
        # Outside services are never reached: every base URL points at a closed loopback port.
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        "INSTAGRAM_API_URL": "http://127.0.0.1:9",
        "INSTAGRAM_OAUTH_URL": "http://127.0.0.1:9",
        "TIKTOK_API_URL": "http://127.0.0.1:9",
    }


@pytest.fixture
def world(app, factory):
    objects, people = _populate(app, factory, "F")
    return objects, people["owner"]


class Findings:
    """Every answer of 500 (or an exception escaping the app), with what was sent."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.requests = 0

    def check(self, what: str, send) -> Any:
        self.requests += 1
        try:
            response = send()
        except Exception as exc:
            self.failures.append(f"{what}: raised {type(exc).__name__}: {str(exc)[:200]}")
            return None
        if response.status_code >= 500 and response.status_code != 503:
            self.failures.append(f"{what}: {response.status_code} {response.get_data(as_text=True)[:200]}")
        return response

    def assert_none(self) -> None:
        assert self.requests > 0
        assert not self.failures, f"{len(self.failures)} of {self.requests} requests failed:\n" + "\n".join(
            self.failures[:40]
        )


def _failed_jobs(app) -> list[str]:
    with app.app_context():
        failed = db.session.scalars(select(JobRun).where(JobRun.status == "failed", JobRun.kind != "matrix"))
        return [f"{r.kind}: {r.error}" for r in failed]  # "matrix" is the failed run _populate makes on purpose


def _fields_of(rule, method: str, objects: dict[str, Any]) -> list[str]:
    op = _operation(rule, method)
    if op is None or op.body is None:
        return []
    schema = op.body.model_json_schema()
    return list(schema.get("properties", {}))


def _query_fields(rule, method: str) -> list[str]:
    op = _operation(rule, method)
    if op is None or op.query is None:
        return []
    return list(op.query.model_json_schema().get("properties", {}))


def _api_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if is_html(rule) or rule.endpoint in SKIPPED or not fillable(rule):
            continue
        if rule.endpoint.split(".")[0] in ("static", "slack", "telegram", "webhooks", "docs", "ops"):
            continue  # their own tests below (or no input at all)
        yield rule


def test_fuzz_every_api_operation_with_hostile_bodies(app, client, world):
    objects, owner = world
    findings = Findings()
    headers = {"Authorization": f"Bearer {owner.token}", "Content-Type": "application/json"}
    for rule in _api_rules(app):
        url = build_url(rule, param_values(rule, objects))
        for method in methods_of(rule):
            if method == "GET":
                continue
            what = f"{method} {rule.rule}"
            for name, body in HOSTILE_BODIES:
                findings.check(
                    f"{what} [{name}]",
                    lambda u=url, m=method, b=body: client.open(u, method=m, data=b, headers=headers),
                )
            valid = json_body(rule, method, objects)
            fields = _fields_of(rule, method, objects) or ["name"]
            for name, value in HOSTILE_JSON_VALUES:
                # Every field at once, then each field alone inside an otherwise valid body.
                everything = "{" + ",".join(f"{json.dumps(f)}:{value}" for f in fields) + "}"
                findings.check(
                    f"{what} [all fields {name}]",
                    lambda u=url, m=method, b=everything: client.open(u, method=m, data=b, headers=headers),
                )
                if name not in PER_FIELD:
                    continue
                for field in fields:
                    base = dict(valid) if isinstance(valid, dict) else {}
                    base.pop(field, None)
                    single = json.dumps(base)[:-1] + ("," if base else "") + f"{json.dumps(field)}:{value}" + "}"
                    findings.check(
                        f"{what} [{field} {name}]",
                        lambda u=url, m=method, b=single: client.open(u, method=m, data=b, headers=headers),
                    )
    findings.assert_none()
    assert _failed_jobs(app) == []


def test_fuzz_every_api_query_string(app, client, world):
    objects, owner = world
    findings = Findings()
    headers = {"Authorization": f"Bearer {owner.token}"}
    for rule in _api_rules(app):
        url = build_url(rule, param_values(rule, objects))
        for method in methods_of(rule):
            fields = _query_fields(rule, method) or (["limit", "cursor", "q"] if method == "GET" else [])
            for name, value in HOSTILE_TEXT:
                query = "&".join(f"{f}={value}" for f in fields)
                findings.check(
                    f"{method} {rule.rule}?[{name}]",
                    lambda u=f"{url}?{query}", m=method: client.open(u, method=m, headers=headers, json={}),
                )
    findings.assert_none()


def _console_session(app, email: str):
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = browser.post("/login", data={"csrf_token": token, "email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code in (302, 303)
    return browser, CSRF_RE.search(browser.get("/account").get_data(as_text=True)).group(1)


def test_fuzz_every_console_page_and_form(app, world):
    objects, owner = world
    browser, csrf = _console_session(app, owner.email)
    findings = Findings()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not is_html(rule) or rule.endpoint in SKIPPED or not fillable(rule) or "static" in rule.endpoint:
            continue
        url = build_url(rule, param_values(rule, objects))
        for method in methods_of(rule):
            for name, value in HOSTILE_TEXT:
                encoded = "&".join(f"{f}={value}" for f in FORM_FIELDS)
                if method == "GET":
                    send = lambda u=f"{url}?{encoded}": browser.get(u)  # noqa: E731
                else:
                    body = f"csrf_token={csrf}&{encoded}"
                    send = lambda u=url, m=method, b=body: browser.open(  # noqa: E731
                        u, method=m, data=b, content_type="application/x-www-form-urlencoded"
                    )
                findings.check(f"{method} {rule.rule} [{name}]", send)
    findings.assert_none()
    assert _failed_jobs(app) == []


def _signed(client, text: str, content_type: str, timestamp: str | None = None):
    timestamp = timestamp or str(int(time.time()))
    body = text.encode("utf-8", "surrogatepass")  # lone surrogates go out as the invalid UTF-8 they make
    # Slack's scheme (v0=HMAC-SHA256 of "v0:<ts>:<body>") over the raw bytes; slack_sdk's helper wants text.
    base = f"v0:{timestamp}:".encode("utf-8", "surrogatepass") + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature, "Content-Type": content_type}
    return client.post("/slack/events", data=body, headers=headers)


def _form(fields: dict[str, str]) -> str:
    return urlencode(fields, errors="surrogatepass")


def test_fuzz_slack_events(app, client, world):
    findings = Findings()
    hostile_strings = ["a\x00b", "\ud800", "x" * 50_000, "9" * 40, "<!channel>", "", "١٢٣"]
    payloads: list[tuple[str, str]] = []
    for value in hostile_strings:
        command = {"team_id": value, "user_id": value, "channel_id": value, "command": "/vistaflow", "text": value}
        payloads.append(("command", _form(command)))
        payloads.append(("command lead", _form(command | {"team_id": "T1", "text": f"lead {value} won"})))
        action = {
            "type": "block_actions",
            "team": {"id": value},
            "user": {"id": value},
            "actions": [{"action_id": "vf_approve", "value": value, "action_ts": value}],
            "container": {"message_ts": value, "channel_id": value},
        }
        payloads.append(("action", _form({"payload": json.dumps(action)})))
        event = {"type": "event_callback", "team_id": value, "event_id": value, "event": {"type": "app_uninstalled"}}
        payloads.append(("event", json.dumps(event)))
    payloads += [
        ("action not json", urlencode({"payload": "{not json"})),
        ("action deep", "payload=" + "%5B" * 100_000),
        ("action list", urlencode({"payload": "[1, 2]"})),
        ("action huge literal", urlencode({"payload": '{"type": ' + "1" * 5000 + "}"})),
        ("event deep", "[" * 100_000),
        ("event huge literal", '{"type": ' + "1" * 5000 + "}"),
        ("event invalid utf-8", '{"type": "\udcff"}'),
        ("event not an object", "[]"),
        ("form garbage", "%FF%FE=%00"),
    ]
    for name, body in payloads:
        content_type = "application/json" if body.startswith(("{", "[")) else "application/x-www-form-urlencoded"
        findings.check(f"slack {name}", lambda b=body, c=content_type: _signed(client, b, c))
    for timestamp in ("abc", "-1", "9" * 30, " 1", "1.5", "\x00"):
        findings.check(
            f"slack timestamp {timestamp!r}", lambda t=timestamp: _signed(client, "{}", "application/json", t)
        )
    findings.assert_none()
    assert _failed_jobs(app) == []


def test_fuzz_telegram_webhook(app, client, world):
    findings = Findings()
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
    chat = {"id": -1000 - world[0]["workspace_id"], "type": "group"}
    values: list[Any] = ["a\x00b", "\ud800", "x" * 50_000, 10**30, -(10**30), None, [], {}, True, 1.5, "١٢٣"]
    updates: list[Any] = []
    for n, value in enumerate(values):
        base = 500_000 + n * 100
        updates += [
            {"update_id": base, "message": {"message_id": value, "text": value, "chat": chat, "from": {"id": value}}},
            {"update_id": base + 1, "message": {"text": f"/lead {value} won", "chat": chat, "from": {"id": 1}}},
            {"update_id": base + 2, "message": {"text": f"/start {value}", "chat": {"id": value}, "from": value}},
            {"update_id": base + 3, "callback_query": {"id": value, "data": f"ap:{value}", "message": {"chat": chat}}},
            {"update_id": base + 4, "callback_query": {"id": "q", "data": value, "from": value, "message": value}},
            {"update_id": base + 5, "my_chat_member": {"chat": {"id": value}, "new_chat_member": {"status": value}}},
            {"update_id": base + 6, "message": value},
            {"update_id": value},
        ]
    for n, update in enumerate(updates):
        body = json.dumps(update, allow_nan=True).encode("utf-8", "surrogatepass")
        findings.check(f"telegram update {n}", lambda b=body: client.post("/telegram/webhook", data=b, headers=headers))
    for name, body in HOSTILE_BODIES:
        findings.check(f"telegram {name}", lambda b=body: client.post("/telegram/webhook", data=b, headers=headers))
    findings.assert_none()
    assert _failed_jobs(app) == []


def _meta(client, body: bytes):
    signature = "sha256=" + hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/meta", data=body, headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    )


def _comment(comment_id: str, text: Any, user: Any = "u-1", username: Any = "fan", timestamp: Any = None) -> dict:
    value = {"id": comment_id, "text": text, "from": {"id": user, "username": username}, "media": {"id": "m-1"}}
    if timestamp is not None:
        value["timestamp"] = timestamp
    return {"field": "comments", "value": value}


def test_fuzz_meta_webhook_loses_no_valid_item(app, client, world):
    objects, _ = world
    with app.app_context():
        make_account(objects["workspace_id"], platform_user_id=IG_ID)
    findings = Findings()
    hostile: list[Any] = ["a\x00b", "\ud800x", "x" * 100_000, 10**30, -1, None, [], {"a": "\x00"}, True, "١٢٣"]
    valid_ids: list[str] = []
    for n, value in enumerate(hostile):
        changes = [
            _comment(f"ok-{n}-a", "how much?", user=f"u-a{n}"),
            _comment(f"bad-{n}-text", value),
            _comment(f"bad-{n}-user", "hi", user=value, username=value),
            _comment(value if isinstance(value, str) else f"bad-{n}-id", "hi"),
            _comment(f"bad-{n}-time", "hi", timestamp=value),
            {"field": value, "value": value},
            _comment(f"ok-{n}-b", "love it", user=f"u-b{n}"),
        ]
        messaging = [
            {
                "sender": {"id": f"u-m{n}"},
                "recipient": {"id": IG_ID},
                "timestamp": value,
                "message": {"mid": f"ok-{n}-m", "text": value},
            },
            {"sender": {"id": value}, "message": {"mid": value, "text": "x", "is_echo": True}},
            {"sender": value, "message": value},
        ]
        valid_ids += [f"ok-{n}-a", f"ok-{n}-b", f"ok-{n}-m"]
        payload = {
            "object": "instagram",
            "entry": [{"id": IG_ID, "time": value, "changes": changes, "messaging": messaging}, value],
        }
        body = json.dumps(payload).encode("utf-8", "surrogatepass")
        response = findings.check(f"meta batch {n}", lambda b=body: _meta(client, b))
        if response is not None and response.status_code != 200:
            findings.failures.append(f"meta batch {n}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    for name, body in HOSTILE_BODIES:
        findings.check(f"meta {name}", lambda b=body: _meta(client, b))
    findings.assert_none()
    with app.app_context():
        stored = set(db.session.scalars(select(Interaction.platform_id).where(Interaction.platform_id.like("ok-%"))))
        assert stored == set(valid_ids), sorted(set(valid_ids) - stored)  # zero lost valid items
        cleaned = select(func.count()).select_from(Interaction).where(Interaction.raw["vistaflow_cleaned"].is_not(None))
        assert db.session.scalar(cleaned) > 0  # the NUL items were stored cleaned, and say so
    assert _failed_jobs(app) == []


def test_fuzz_oauth_callbacks(app, client, world):
    findings = Findings()
    _, owner = world
    browser, _ = _console_session(app, owner.email)
    paths = ["/social-accounts/instagram/callback", "/social-accounts/tiktok/callback", "/slack/oauth_redirect"]
    for caller in (client, browser):
        for path in paths:
            for name, value in HOSTILE_TEXT:
                for query in (
                    f"code={value}&state={value}",
                    f"state={value}",
                    f"error={value}&state={value}",
                    f"code={value}",
                ):
                    findings.check(f"{path}?{query[:60]} [{name}]", lambda u=f"{path}?{query}", c=caller: c.get(u))
        findings.check(
            "meta challenge",
            lambda: client.get("/webhooks/meta?hub.mode=subscribe&hub.challenge=%00&hub.verify_token=%FF"),
        )
    findings.assert_none()
