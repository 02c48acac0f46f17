"""A webhook endpoint that checks Standard Webhooks signatures, like a careful customer's would.

Every POST is verified (webhook-id, webhook-timestamp within 5 minutes, `v1,` HMAC-SHA256 of
"id.timestamp.body" with the base64 key behind `whsec_`); verified envelopes are kept in
`received`, duplicates (same webhook-id) are counted but kept once in `unique`. Faults
(`add_fault`) make it answer 500, 429, 410 or a redirect instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from tests.emulators.server import EmulatorServer, Reply, Request

TOLERANCE = 300


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature", "")
    if not message_id or not timestamp or not signatures:
        return False
    try:
        if abs(time.time() - int(timestamp)) > TOLERANCE:
            return False
    except ValueError:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


class WebhookReceiver(EmulatorServer):
    def __init__(self, secret: str | None = None) -> None:
        super().__init__()
        self.secret = secret
        self.received: list[dict] = []
        self.rejected: list[Request] = []

    @property
    def unique(self) -> dict[str, dict]:
        """Envelopes by webhook-id, as a receiver that deduplicates would keep them."""
        with self.lock:
            return {envelope["id"]: envelope for envelope in self.received}

    def handle(self, request: Request) -> Reply:
        if request.method != "POST":
            return Reply(405, {"error": "POST only"})
        if self.secret is None or not verify(self.secret, request.headers, request.body):
            with self.lock:
                self.rejected.append(request)
            return Reply(401, {"error": "bad signature"})
        envelope = json.loads(request.body)
        if envelope.get("id") != request.headers.get("webhook-id"):
            return Reply(400, {"error": "webhook-id differs from the envelope id"})
        with self.lock:
            self.received.append(envelope)
        return Reply(204)
