"""Signed outgoing webhooks (Standard Webhooks): webhook-id, webhook-timestamp, webhook-signature.

The signature is `v1,` + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")), where the key is the
base64 part of the `whsec_...` secret. `webhook-id` is the event id: stable across retries, so a
receiver that saw it already can drop the duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from flask import current_app

from core.errors import Invalid
from core.i18n import _
from core.integrations import ssrf
from core.integrations.base import DeliveryError, Outcome, retry_after_seconds
from core.models import Integration

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
USER_AGENT = "VistaFlow-Webhooks/1.0"


def new_secret() -> str:
    """A fresh signing secret, shown once to the customer and stored encrypted."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _guard_options() -> dict[str, bool]:
    config = current_app.config
    return {
        "require_https": config.get("VISTAFLOW_ENV") == "production",
        "allow_loopback": bool(config.get("INTEGRATIONS_ALLOW_PRIVATE_TARGETS")),
    }


def clean_config(config: dict[str, Any]) -> dict[str, Any]:
    """{url}: the URL must pass the SSRF guard now (and is checked again before every call)."""
    unknown = sorted(set(config) - {"url"})
    if unknown:
        raise Invalid(
            _("Unknown settings for a webhook."), fields={f"config.{unknown[0]}": _("Not a webhook setting.")}
        )
    url = config.get("url")
    if not isinstance(url, str):
        raise Invalid(_("A webhook needs a URL."), fields={"config.url": _("Give the https:// URL to POST events to.")})
    ssrf.check_url(url, field="config.url", **_guard_options())
    return {"url": url.strip()}


def url_origin(url: str) -> str:
    """scheme://host[:port] of a webhook URL: where it goes, without the path or query that may be its secret."""
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def masked_config(config: dict[str, Any]) -> dict[str, Any]:
    """A webhook's settings for people who may not use the URL: its origin, with the rest elided."""
    url = config.get("url") or ""
    origin = url_origin(url)
    return {**config, "url": origin + ("/…" if url.rstrip("/") != origin else "")}


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def send(integration: Integration, payload: dict[str, Any], *, transport: httpx.BaseTransport | None = None) -> Outcome:
    """POST one signed envelope; 2xx succeeds, 410 asks to disable, anything else is retried."""
    secret = integration.decrypted_secret()
    if not secret:
        raise DeliveryError("The integration has no signing secret.")
    try:
        target = ssrf.check_url(integration.config.get("url", ""), **_guard_options())
    except ssrf.BlockedTarget as exc:
        raise DeliveryError("Refused to call the URL: " + "; ".join(exc.fields.values())) from None
    body = encode(payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": payload["id"],
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, payload["id"], timestamp, body),
    }
    try:
        response = ssrf.post(target, content=body, headers=headers, transport=transport)
    except httpx.TimeoutException:
        raise DeliveryError("The endpoint did not answer in time.") from None
    except httpx.TransportError as exc:
        raise DeliveryError(f"Could not connect to the endpoint ({type(exc).__name__}).") from None
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(response_code=code, detail=f"answered {code}")
    if code == 410:
        raise DeliveryError(
            "The endpoint answered 410 Gone: the integration was disabled.", response_code=code, disable=True
        )
    if 300 <= code < 400:
        raise DeliveryError(f"The endpoint answered {code}; redirects are not followed.", response_code=code)
    retry_after = retry_after_seconds(response.headers.get("Retry-After")) if code in (429, 503) else None
    raise DeliveryError(f"The endpoint answered {code}.", response_code=code, retry_after=retry_after)
