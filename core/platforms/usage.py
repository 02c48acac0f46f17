"""How close each social account is to its platform rate limit, shared by every process.

Meta reports usage as percentages in `X-App-Usage` ({"call_count","total_cputime","total_time"}) and
`X-Business-Use-Case-Usage` ({"<id>": [{..., "estimated_time_to_regain_access": <minutes>}]}). We keep the
highest percentage seen last per account and, when an account is blocked, until when. With Redis the
state is shared by all workers (one key per account, with a TTL); without Redis (single process) it is
kept in memory.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

KEY_PREFIX = "vistaflow:platform-usage:"


@dataclass
class UsageState:
    percent: float
    blocked_until: float  # epoch seconds; 0 when not blocked


def parse_usage_headers(headers: Mapping[str, str]) -> tuple[float | None, float]:
    """Return (highest usage percentage or None when absent, seconds until access is regained)."""
    percents: list[float] = []
    regain_seconds = 0.0
    app_usage = _json_header(headers, "x-app-usage")
    if isinstance(app_usage, dict):
        percents.extend(_percentages(app_usage))
    buc = _json_header(headers, "x-business-use-case-usage")
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict):
                    continue
                percents.extend(_percentages(entry))
                minutes = _number(entry.get("estimated_time_to_regain_access"))
                if minutes:
                    regain_seconds = max(regain_seconds, minutes * 60.0)
    return (max(percents) if percents else None), regain_seconds


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name) or headers.get(name.title())
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _percentages(entry: Mapping[str, Any]) -> list[float]:
    values = (_number(entry.get(key)) for key in ("call_count", "total_cputime", "total_time"))
    return [value for value in values if value is not None]


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class UsageTracker:
    """Remembers each account's latest usage and says how long to pause before its next call."""

    def __init__(
        self,
        redis: Any = None,
        *,
        threshold: float = 80.0,
        max_pause: float = 30.0,
        ttl: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.threshold = threshold
        self.max_pause = max_pause
        self.ttl = ttl
        self.clock = clock
        self._memory: dict[str, tuple[UsageState, float]] = {}
        self._lock = threading.Lock()

    # -------------------------------------------------------------- writes

    def record(self, account_key: str, headers: Mapping[str, str]) -> None:
        """Store what the usage headers of a response say about this account."""
        percent, regain_seconds = parse_usage_headers(headers)
        if percent is None and not regain_seconds:
            return
        current = self.get(account_key)
        blocked_until = current.blocked_until if current else 0.0
        if regain_seconds:
            blocked_until = max(blocked_until, self.clock() + regain_seconds)
        self._save(account_key, UsageState(percent if percent is not None else 0.0, blocked_until))

    def block(self, account_key: str, seconds: float) -> None:
        """The platform said to stop: no call for this account for `seconds`."""
        current = self.get(account_key)
        percent = current.percent if current else 100.0
        blocked_until = max(current.blocked_until if current else 0.0, self.clock() + seconds)
        self._save(account_key, UsageState(max(percent, 100.0), blocked_until))

    # -------------------------------------------------------------- reads

    def get(self, account_key: str) -> UsageState | None:
        if self.redis is not None:
            raw = self.redis.get(KEY_PREFIX + account_key)
            if not raw:
                return None
            data = json.loads(raw)
            return UsageState(float(data["percent"]), float(data["blocked_until"]))
        with self._lock:
            entry = self._memory.get(account_key)
            if entry is None or entry[1] < self.clock():
                return None
            return entry[0]

    def delay_before_call(self, account_key: str) -> float:
        """Seconds to wait before the next call: 0 below the threshold, up to `max_pause` above, or the block."""
        state = self.get(account_key)
        if state is None:
            return 0.0
        blocked = state.blocked_until - self.clock()
        if blocked > 0:
            return blocked
        if state.percent < self.threshold:
            return 0.0
        # Linear from 1 s at the threshold to max_pause at 100 %: slows down long before Meta blocks us.
        share = min(1.0, (state.percent - self.threshold) / max(1.0, 100.0 - self.threshold))
        return min(self.max_pause, 1.0 + share * (self.max_pause - 1.0))

    # -------------------------------------------------------------- storage

    def _save(self, account_key: str, state: UsageState) -> None:
        ttl = max(self.ttl, int(state.blocked_until - self.clock()) + 1)
        if self.redis is not None:
            payload = json.dumps({"percent": state.percent, "blocked_until": state.blocked_until})
            self.redis.set(KEY_PREFIX + account_key, payload, ex=ttl)
            return
        with self._lock:
            self._memory[account_key] = (state, self.clock() + ttl)
