"""Fixtures for the chat bots: the fake Slack Web API and Telegram Bot API, and signed Slack requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator

SIGNING_SECRET = "slack-signing-secret-for-tests"
WEBHOOK_SECRET = "telegram-webhook-secret-for-tests"


@pytest.fixture
def slack_emulator():
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def telegram_emulator():
    with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
def app_config(slack_emulator, telegram_emulator):
    return (
        slack_emulator.config()
        | telegram_emulator.config()
        | {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PUBLIC_URL": "http://localhost",
        }
    )


def slack_signature(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    """Posts to /slack/events like Slack does, signed; checks our signature with slack_sdk's verifier."""

    def __init__(self, client) -> None:
        self.client = client

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        headers: dict | None = None,
    ):
        timestamp = int(time.time()) if timestamp is None else timestamp
        # Signed with slack_sdk's own verifier, exactly as Slack signs.
        signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
        assert signature == slack_signature(body, timestamp, secret)
        all_headers = {
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature,
            "Content-Type": content_type,
        } | (headers or {})
        return self.client.post("/slack/events", data=body, headers=all_headers)

    def action(self, payload: dict, **kw):
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)

    def command(self, fields: dict, **kw):
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def event(self, payload: dict, **kw):
        return self.post(json.dumps(payload), "application/json", **kw)


@pytest.fixture
def slack(client) -> SlackSender:
    return SlackSender(client)
