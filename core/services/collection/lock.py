"""One collection per account at a time: a Redis lock shared by every worker, or a process lock.

Without Redis the app is a single process (jobs run in it), so a lock in memory is enough.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import RedisError

from core.redis_conn import get_redis

log = logging.getLogger(__name__)

KEY = "vistaflow:collect-lock:{account_id}"
# As long as the bulk queue's job timeout: a worker killed mid-run frees the account by then.
TTL_SECONDS = 3600

# Delete the key only if it still holds our token, so an expired-then-retaken lock is not released.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

_local_guard = threading.Lock()
_local_locks: dict[int, threading.Lock] = {}


@contextmanager
def account_lock(account_id: int, ttl: int = TTL_SECONDS) -> Iterator[bool]:
    """Yield True when this caller holds the account's collection lock, False when another run does."""
    redis = get_redis()
    if redis is None:
        with _local_guard:
            lock = _local_locks.setdefault(account_id, threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return

    key, token = KEY.format(account_id=account_id), uuid.uuid4().hex
    try:
        held = bool(redis.set(key, token, nx=True, ex=ttl))
    except RedisError:
        log.warning("collection lock for account %s unavailable (Redis error); skipping this run", account_id)
        held = False
    try:
        yield held
    finally:
        if held:
            try:
                redis.eval(_RELEASE, 1, key, token)
            except RedisError:
                log.warning("could not release the collection lock of account %s; it expires in %ss", account_id, ttl)
