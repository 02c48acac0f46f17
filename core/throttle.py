"""Counting failures per key in a sliding window: Redis when configured, memory otherwise.

Memory is only used by the single-process install, where it is the whole truth.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Sequence

from core.errors import TooManyRequests
from core.i18n import Text
from core.redis_conn import get_redis

_memory: dict[str, list[float]] = {}
_lock = threading.Lock()


def _memory_hits(key: str, window: int, now: float) -> list[float]:
    hits = [t for t in _memory.get(key, []) if t > now - window]
    _memory[key] = hits
    return hits


def failures(key: str, window: int) -> tuple[int, int]:
    """Return (failures in the window, seconds until the oldest expires)."""
    redis = get_redis()
    now = time.time()
    if redis is not None:
        full = f"vf:throttle:{key}"
        pipe = redis.pipeline()
        pipe.zremrangebyscore(full, 0, now - window)
        pipe.zcard(full)
        pipe.zrange(full, 0, 0, withscores=True)
        _, count, oldest = pipe.execute()
        wait = int(oldest[0][1] + window - now) + 1 if oldest else 0
        return int(count), wait
    with _lock:
        hits = _memory_hits(key, window, now)
        wait = int(hits[0] + window - now) + 1 if hits else 0
        return len(hits), wait


def add_failure(key: str, window: int) -> None:
    redis = get_redis()
    now = time.time()
    if redis is not None:
        full = f"vf:throttle:{key}"
        pipe = redis.pipeline()
        pipe.zadd(full, {f"{now}:{time.perf_counter_ns()}": now})
        pipe.expire(full, window)
        pipe.execute()
        return
    with _lock:
        _memory_hits(key, window, now).append(now)


def count_attempt(limits: Sequence[tuple[str, int]], window: int, refusal: Text) -> None:
    """Refuse (TooManyRequests with `refusal`) when any key has reached its limit, else count one more on each."""
    for key, limit in limits:
        count, wait = failures(key, window)
        if count >= limit:
            raise TooManyRequests(refusal, retry_after=wait)
    for key, _limit in limits:
        add_failure(key, window)


def clear(key: str) -> None:
    redis = get_redis()
    if redis is not None:
        redis.delete(f"vf:throttle:{key}")
        return
    with _lock:
        _memory.pop(key, None)


def forget_memory() -> None:
    """Drop every in-process count (the test suite does between tests, as it empties the database)."""
    with _lock:
        _memory.clear()


def client_key(ip: str) -> str:
    """The part of a client address that names one client: an IPv6 host owns its whole /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
