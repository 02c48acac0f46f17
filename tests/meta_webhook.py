"""Signed Meta webhook deliveries for tests: a DM in, an echo of a message the team sent from the app."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

SECRET = "meta-app-secret-for-tests"


def deliver(client, ig_id: str, messaging: list[dict], secret: str = SECRET) -> None:
    entry = {"id": ig_id, "time": int(time.time()), "messaging": messaging}
    body = json.dumps({"object": "instagram", "entry": [entry]})
    signature = "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
    response = client.post("/webhooks/meta", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def inbound(ig_id: str, sender: str, mid: str, text: str) -> dict:
    message = {"mid": mid, "text": text}
    return {
        "sender": {"id": sender},
        "recipient": {"id": ig_id},
        "timestamp": int(time.time() * 1000),
        "message": message,
    }


def echo(ig_id: str, person: str, mid: str, text: str) -> dict:
    message = {"mid": mid, "text": text, "is_echo": True}
    return {
        "sender": {"id": ig_id},
        "recipient": {"id": person},
        "timestamp": int(time.time() * 1000),
        "message": message,
    }
