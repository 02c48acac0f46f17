"""Meta's published per-account pacing, shared by every process: a sliding window per (account, kind).

Instagram allows 2 calls per second on the conversations API and 750 private replies per hour per
account. A call first reserves its slot; when the window is full it waits for the oldest slot to
expire (or gives up with RateLimited when that is too long). With Redis the check-and-reserve is one
Lua script, so many workers never exceed the limit; the single process keeps the window in memory.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.platforms.base import RateLimited


@dataclass(frozen=True)
class Limit:
    name: str
    calls: int
    per_seconds: float


CONVERSATIONS_API = Limit("conversations", 2, 1.0)
PRIVATE_REPLIES = Limit("private_replies", 750, 3600.0)

_RESERVE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1]))
"""


class Pacer:
    """Reserves call slots per account and limit; `redis` None keeps them in this process."""

    def __init__(self, redis: Any = None, *, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.clock = clock
        self._memory: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._script = redis.register_script(_RESERVE) if redis is not None else None

    def reserve(self, account_key: str, limit: Limit) -> float:
        """Take a slot now and return 0, or return the seconds until one frees (nothing taken)."""
        key = f"vistaflow:pacing:{limit.name}:{account_key}"
        now = self.clock()
        if self._script is not None:
            args = [now, limit.per_seconds, limit.calls, f"{now}:{uuid.uuid4().hex}"]
            return max(0.0, float(self._script(keys=[key], args=args)))
        with self._lock:
            slots = [t for t in self._memory.get(key, []) if t > now - limit.per_seconds]
            self._memory[key] = slots
            if len(slots) < limit.calls:
                slots.append(now)
                return 0.0
            return max(0.0, slots[0] + limit.per_seconds - now)

    def wait_for_slot(self, account_key: str, limit: Limit, *, sleep: Callable[[float], None], max_wait: float) -> None:
        """Block until a slot is taken; RateLimited when the wait would exceed `max_wait`."""
        while True:
            wait = self.reserve(account_key, limit)
            if wait <= 0:
                return
            if wait > max_wait:
                raise RateLimited(
                    f"Meta allows {limit.calls} {limit.name} calls per {limit.per_seconds:g}s for this account",
                    retry_after=wait,
                )
            sleep(wait)
