"""Behind a load balancer (TRUSTED_PROXY_HOPS=n) the client address comes from X-Forwarded-For; by default
the header is ignored, so nobody can pick the address the login throttle and /metrics see."""

from __future__ import annotations

import secrets

import pytest

from tests.conftest import DEFAULT_PASSWORD


def _ip() -> str:
    return f"198.51.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self):
        return {"TRUSTED_PROXY_HOPS": 1, "LOGIN_MAX_FAILURES_PER_IP": 3}

    def test_login_throttle_counts_each_client_not_the_proxy(self, client, factory):
        user = factory.user()
        attacker, colleague = _ip(), _ip()
        for i in range(4):
            bad = {"email": f"nobody{i}@example.com", "password": "wrong-password"}
            client.post("/auth/login", json=bad, headers={"X-Forwarded-For": attacker})
        good = {"email": user.email, "password": DEFAULT_PASSWORD}
        assert client.post("/auth/login", json=good, headers={"X-Forwarded-For": attacker}).status_code == 429
        assert client.post("/auth/login", json=good, headers={"X-Forwarded-For": colleague}).status_code == 200

    def test_metrics_from_a_remote_client_through_a_local_proxy_are_hidden(self, client):
        assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
        assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


def test_without_trusted_proxies_the_forwarded_header_is_ignored(client):
    response = client.get(
        "/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert response.status_code == 404
