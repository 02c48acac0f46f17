"""UsageTracker: parsing Meta's usage headers, the pause curve, blocks, in memory and in Redis."""

from __future__ import annotations

import json

import pytest

from core.platforms.usage import UsageTracker, parse_usage_headers


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def headers(app: float | None = None, buc: float | None = None, regain: int = 0) -> dict:
    out = {}
    if app is not None:
        out["x-app-usage"] = json.dumps({"call_count": app, "total_cputime": 1, "total_time": 2})
    if buc is not None:
        entry = {"type": "instagram", "call_count": 1, "total_cputime": buc, "total_time": 3}
        out["x-business-use-case-usage"] = json.dumps({"1784": [entry | {"estimated_time_to_regain_access": regain}]})
    return out


def test_parse_headers():
    assert parse_usage_headers({}) == (None, 0.0)
    assert parse_usage_headers(headers(app=12)) == (12.0, 0.0)
    assert parse_usage_headers(headers(app=12, buc=91, regain=5)) == (91.0, 300.0)
    assert parse_usage_headers({"x-app-usage": "not json"}) == (None, 0.0)


@pytest.fixture(params=["memory", "redis"])
def tracker(request):
    clock = Clock()
    redis = request.getfixturevalue("redis_client") if request.param == "redis" else None
    return UsageTracker(redis, clock=clock), clock


def test_pause_grows_above_80_percent(tracker):
    usage, _ = tracker
    assert usage.delay_before_call("ig:1") == 0
    usage.record("ig:1", headers(app=79))
    assert usage.delay_before_call("ig:1") == 0
    usage.record("ig:1", headers(app=85))
    low = usage.delay_before_call("ig:1")
    usage.record("ig:1", headers(app=99))
    high = usage.delay_before_call("ig:1")
    assert 0 < low < high <= 30
    usage.record("ig:1", headers(app=250))
    assert usage.delay_before_call("ig:1") == 30
    assert usage.delay_before_call("ig:2") == 0  # per account


def test_block_until_regained(tracker):
    usage, clock = tracker
    usage.record("ig:1", headers(buc=100, regain=2))
    assert usage.delay_before_call("ig:1") == pytest.approx(120)
    clock.now += 100
    assert usage.delay_before_call("ig:1") == pytest.approx(20)
    usage.block("ig:1", 300)
    assert usage.delay_before_call("ig:1") == pytest.approx(300)


def test_redis_state_is_shared_and_expires(redis_client):
    clock = Clock()
    UsageTracker(redis_client, clock=clock).record("ig:9", headers(app=90))
    other = UsageTracker(redis_client, clock=clock)
    assert other.delay_before_call("ig:9") > 0
    ttl = redis_client.ttl("vistaflow:platform-usage:ig:9")
    assert 0 < ttl <= 3600
