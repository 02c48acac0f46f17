"""One HTTP call to a platform: usage pause, timeout, retries for reads only, typed errors, no secrets.

GETs are retried (up to `retries` times, with backoff) on network errors and 5xx. Anything else is
sent once: a DM must never go out twice because a response got lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Self

import httpx

from core.platforms.base import PlatformError, PlatformUnavailable, RateLimited, scrub
from core.platforms.usage import UsageTracker

log = logging.getLogger(__name__)

ErrorMapper = Callable[[httpx.Response, Any], PlatformError | None]


# httpx's per-request INFO lines (URLs with tokens) are silenced and every line scrubbed by core.logs.


class PlatformHttp:
    """Sends requests for one client instance and counts them in `api_calls`."""

    def __init__(
        self,
        *,
        map_error: ErrorMapper,
        secrets: list[str | None],
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        usage: UsageTracker | None = None,
        account_key: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        self.map_error = map_error
        self.secrets = secrets
        self.usage = usage
        self.account_key = account_key
        self.sleep = sleep
        self.max_wait = max_wait
        self.retries = retries
        self.backoff = backoff
        self.api_calls = 0
        self.client = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one call (GETs with retries) and return the decoded JSON body, or raise a PlatformError."""
        method = method.upper()
        retryable = method == "GET"
        where = f"{method} {httpx.URL(url).path}"
        attempt = 0
        while True:
            self._wait_for_usage()
            try:
                self.api_calls += 1
                response = self.client.request(method, url, params=params, json=json, data=data, headers=headers)
            except httpx.TransportError as exc:
                if retryable and attempt < self.retries:
                    self._backoff(attempt)
                    attempt += 1
                    continue
                # A connection that never opened cannot have delivered anything.
                unknown = not retryable and not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                raise PlatformUnavailable(f"{where} failed: {type(exc).__name__}", outcome_unknown=unknown) from None
            if self.usage is not None and self.account_key:
                self.usage.record(self.account_key, response.headers)
            try:
                body = response.json()
            except ValueError:
                body = None
            error = self.map_error(response, body)
            if error is None and response.status_code >= 500:
                error = PlatformUnavailable(f"{where} answered {response.status_code}", status=response.status_code)
            if error is None and response.status_code >= 400:
                error = PlatformError(f"{where} answered {response.status_code}", status=response.status_code)
            if error is None:
                return body
            if isinstance(error, PlatformUnavailable):
                if retryable and attempt < self.retries:
                    self._backoff(attempt)
                    attempt += 1
                    continue
                error.outcome_unknown = not retryable
            if isinstance(error, RateLimited) and self.usage is not None and self.account_key:
                self.usage.block(self.account_key, error.retry_after)
            error.message = scrub(error.message, self.secrets)
            error.args = (error.message,)
            raise error

    def _wait_for_usage(self) -> None:
        if self.usage is None or not self.account_key:
            return
        delay = self.usage.delay_before_call(self.account_key)
        if delay > self.max_wait:
            raise RateLimited(f"account is backing off for {delay:.0f}s", retry_after=delay)
        if delay > 0:
            log.info("pausing %.1fs before calling the platform (usage high)", delay)
            self.sleep(delay)

    def _backoff(self, attempt: int) -> None:
        self.sleep(self.backoff * (2**attempt))


class ClientLifecycle:
    """What every platform client shares around its `PlatformHttp`: call count, close, `with` support."""

    http: PlatformHttp

    @property
    def api_calls(self) -> int:
        return self.http.api_calls

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
