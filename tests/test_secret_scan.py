"""Secrets never leave: after a full scenario (register, API token, Instagram connected through the emulator's
OAuth flow, integrations with credentials), no token, password, password hash or integration secret appears
in any API response, console page or log line, except the one response that hands a secret to its owner.
Then a key rotation round trip: every encrypted value still decrypts, and none stays under the old key.
"""

from __future__ import annotations

import base64
import logging
import re

import pytest
from sqlalchemy import select

from core import crypto
from core.db import db
from core.models import User
from tests.conftest import DEFAULT_PASSWORD
from tests.console.accounts.test_social_connect import connect

OLD_KEYS = "k1:" + "A" * 43 + "="  # the key the test suite runs with
NEW_KEY = "k9:" + base64.b64encode(b"r" * 32).decode()
NOTION_TOKEN = "secret_notion_TOKEN_77c1_0123456789abcdef"


@pytest.fixture
def notion_emulator():
    from tests.emulators.notion import NotionEmulator

    with NotionEmulator(token=NOTION_TOKEN) as emulator:
        yield emulator


@pytest.fixture
def app_config(instagram_emulator, notion_emulator):
    return (
        instagram_emulator.config()
        | notion_emulator.config()
        | {
            "INTEGRATIONS_ALLOW_PRIVATE_TARGETS": True,
            "LOG_JSON": True,
        }
    )


class Recorder:
    """Every answer of the scenario, with the secrets each one is allowed to hand out."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str, set[str]]] = []

    def keep(self, label: str, response, issued: set[str] | None = None):
        self.answers.append((label, response.get_data(as_text=True), issued or set()))
        return response


def _fill(rule: str, ids: dict[str, object]) -> str | None:
    names = re.findall(r"<(?:[^<>:]+:)?([a-z_]+)>", rule)
    if any(name not in ids for name in names):
        return None
    url = rule
    for name in names:
        url = re.sub(r"<(?:[^<>]+:)?" + name + ">", str(ids[name]), url, count=1)
    return url


def test_no_secret_in_any_answer_page_or_log_and_keys_rotate(
    app, client, console, instagram_emulator, notion_emulator, caplog, capfd, database_url
):
    caplog.set_level(logging.DEBUG)
    # httpx only warns in production; here every request line is logged, so its URLs are scanned too
    # (and the session's migration, through Alembic's fileConfig, disabled the logger: enable it again).
    logging.getLogger("httpx").disabled = False
    caplog.set_level(logging.INFO, logger="httpx")
    seen = Recorder()
    email = "secret-owner@example.com"
    registered = seen.keep(
        "register",
        client.post("/auth/register", json={"email": email, "password": DEFAULT_PASSWORD, "name": "Sam"}),
        None,
    )
    jwt = registered.get_json()["access_token"]
    seen.answers[-1][2].add(jwt)
    headers = {"Authorization": f"Bearer {jwt}"}
    login = seen.keep("login", client.post("/auth/login", json={"email": email, "password": DEFAULT_PASSWORD}))
    second_jwt = login.get_json()["access_token"]
    seen.answers[-1][2].add(second_jwt)
    workspace = seen.keep("workspace", client.post("/workspaces", json={"name": "Vault"}, headers=headers)).get_json()
    ws = workspace["id"]
    token_answer = seen.keep("api token", client.post("/users/me/tokens", json={"name": "ci"}, headers=headers))
    api_secret = token_answer.get_json()["secret"]
    seen.answers[-1][2].add(api_secret)

    # Instagram through the emulator's OAuth flow, from the console session.
    instagram_emulator.add_account("vault.shop", "BUSINESS")
    console.login(email)

    class Owner:
        def get(self, path):
            return seen.keep(f"GET {path}", client.get(path, headers=headers))

    owner = Owner()
    owner.workspace = workspace
    callback = seen.keep("instagram callback", connect(client, owner))
    ig_tokens = set(instagram_emulator.tokens)
    page = seen.keep("accounts page", client.get(callback.headers["Location"])).get_data(as_text=True)
    assert "connected" in page and ig_tokens, page[page.find("<main") :][:800]

    hook = seen.keep(
        "webhook integration",
        client.post(
            f"/integrations/workspace/{ws}",
            headers=headers,
            json={
                "kind": "webhook",
                "name": "hook",
                "config": {"url": "http://127.0.0.1:9/in"},
                "events": ["lead.created"],
            },
        ),
    )
    assert hook.status_code == 201, hook.get_json()
    signing_secret = hook.get_json()["signing_secret"]
    seen.answers[-1][2].add(signing_secret)
    notion = seen.keep(
        "notion integration",
        client.post(
            f"/integrations/workspace/{ws}",
            headers=headers,
            json={
                "kind": "notion",
                "name": "crm",
                "config": {"database_id": notion_emulator.add_database(), "token": NOTION_TOKEN},
                "events": ["lead.created"],
            },
        ),
    )
    assert notion.status_code == 201, notion.get_json()

    # Every page and API read of the workspace, as its owner.
    ids = {"workspace_id": ws, "integration_id": hook.get_json()["id"], "token_id": token_answer.get_json()["id"]}
    accounts = client.get(f"/social-accounts/workspace/{ws}", headers=headers).get_json()["items"]
    ids["account_id"] = accounts[0]["id"]
    ids["user_id"] = registered.get_json()["user"]["id"]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "web.static", "docs.docs_asset", "ops.metrics"):
            continue
        url = _fill(rule.rule, ids)
        if url is None:
            continue
        if rule.endpoint.startswith("web."):
            seen.keep(f"page {url}", client.get(url))
        else:
            seen.keep(f"api {url}", client.get(url, headers=headers))
    seen.keep("integration test", client.post(f"/integrations/{ids['integration_id']}/test", headers=headers))
    seen.keep("bad login", client.post("/auth/login", json={"email": email, "password": "wrong-password-1"}))
    seen.keep("bad token", client.get("/users/me", headers={"Authorization": f"Bearer {jwt}x"}))
    assert len(seen.answers) > 30 and sum(label.startswith("page ") for label, _, _ in seen.answers) >= 5

    with app.app_context():
        password_hash = db.session.scalar(select(User.password_hash).where(User.email == email))
        ciphertexts = [
            value
            for model, attribute, _ in crypto.ENCRYPTED_COLUMNS
            for value in db.session.scalars(select(getattr(model, attribute)))
            if value
        ]
    assert len(ciphertexts) >= 3  # the Instagram token, the webhook secret, the Notion token
    secrets = {
        "password": DEFAULT_PASSWORD,
        "password hash": password_hash,
        "jwt": jwt,
        "second jwt": second_jwt,
        "api token": api_secret,
        "instagram app secret": app.config["INSTAGRAM_CLIENT_SECRET"],
        "webhook secret": signing_secret,
        "notion token": NOTION_TOKEN,
        **{f"instagram token {n}": token for n, token in enumerate(ig_tokens)},
        **{f"ciphertext {n}": value for n, value in enumerate(ciphertexts)},
    }
    leaks = []
    for label, text, issued in seen.answers:
        for name, secret in secrets.items():
            if secret and secret not in issued and secret in text:
                leaks.append(f"{name} in the answer to {label}")
    logs = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert "/oauth/access_token" in logs or "instagram" in logs.lower()  # the flow's calls were logged and scanned
    captured = capfd.readouterr()
    for name, secret in secrets.items():
        for where, text in (("log records", logs), ("stderr", captured.err), ("stdout", captured.out)):
            if secret and secret in text:
                leaks.append(f"{name} in {where}")
    assert not leaks, "\n".join(leaks)

    _rotate_and_check(database_url)


def _plaintexts(app) -> dict[tuple[str, int, str], str]:
    with app.app_context():
        values = {}
        for model, attribute, _ in crypto.ENCRYPTED_COLUMNS:
            for row in db.session.scalars(select(model)):
                if getattr(row, attribute):
                    key = (model.__tablename__, row.id, attribute)
                    values[key] = _decrypt(row, model, attribute)
        return values


def _decrypt(row, model, attribute: str) -> str:
    field = next(f for m, a, f in crypto.ENCRYPTED_COLUMNS if m is model and a == attribute)
    return crypto.decrypt(getattr(row, attribute), table=model.__tablename__, row_id=row.id, field=field)


def _key_ids(app) -> set[str]:
    with app.app_context():
        return {
            crypto.key_id_of(value)
            for model, attribute, _ in crypto.ENCRYPTED_COLUMNS
            for value in db.session.scalars(select(getattr(model, attribute)))
            if value
        }


def _app(database_url: str, keys: str):
    from vistaflow import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "VISTAFLOW_ENCRYPTION_KEYS": keys})


def _rotate_and_check(database_url: str) -> None:
    old = _app(database_url, OLD_KEYS)
    before = _plaintexts(old)
    assert before and _key_ids(old) == {"k1"}
    rotated = _app(database_url, f"{NEW_KEY},{OLD_KEYS}")
    result = rotated.test_cli_runner().invoke(args=["vistaflow", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert _key_ids(rotated) == {"k9"}, "a value is still under the old key"
    # The new key alone reads everything: the old one can be retired.
    assert _plaintexts(_app(database_url, NEW_KEY)) == before
