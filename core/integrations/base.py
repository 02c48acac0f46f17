"""What every integration kind shares: the outcome of one attempt, and JSON calls to a vendor API."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from core.db import utcnow

log = logging.getLogger(__name__)

VENDOR_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)
MAX_RETRY_AFTER = 6 * 3600


@dataclass
class Outcome:
    """One attempt that went through; `detail` says what happened (row 12 updated, page created...)."""

    response_code: int | None = None
    detail: str | None = None


class DeliveryError(Exception):
    """One attempt that did not go through; retried later unless `disable` is set."""

    def __init__(
        self,
        message: str,
        *,
        response_code: int | None = None,
        retry_after: float | None = None,
        disable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message[:900]
        self.response_code = response_code
        self.retry_after = retry_after
        self.disable = disable


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - utcnow()).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def error_message(body: Any) -> str | None:
    """The vendor's own words from a JSON error body (Google: error.message, Notion: message)."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"][:300]
        if isinstance(body.get("message"), str):
            return body["message"][:300]
        if isinstance(error, str):
            return error[:300]
    return None


def json_call(client: httpx.Client, method: str, url: str, *, what: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
    """Send one call; network failures become a retryable DeliveryError, the body is decoded when JSON."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise DeliveryError(f"{what}: timed out") from None
    except httpx.TransportError as exc:
        raise DeliveryError(f"{what}: could not connect ({type(exc).__name__})") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    return response, body


def raise_for_status(response: httpx.Response, body: Any, *, what: str) -> None:
    """429 and 5xx (and every other error) become a DeliveryError carrying the code and Retry-After."""
    code = response.status_code
    if code < 400:
        return
    detail = error_message(body)
    message = f"{what} answered {code}" + (f": {detail}" if detail else "")
    retry_after = retry_after_seconds(response.headers.get("Retry-After")) if code in (429, 503) else None
    raise DeliveryError(message, response_code=code, retry_after=retry_after)
