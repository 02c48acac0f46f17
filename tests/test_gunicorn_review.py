"""Issue 17 under real gunicorn (two web processes): findings 10 (no proxy header trusted by gunicorn itself)
and 17 (/metrics sums every worker's counters, with one content type)."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT, subprocess_env, wait_for

REQUESTS = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One request on a fresh connection (so the two workers share the load), as raw as http.client allows."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def access_log(tmp_path_factory):
    """The file gunicorn's access log (accesslog = "-", its stdout) goes to."""
    return tmp_path_factory.mktemp("logs") / "access.log"


@pytest.fixture(scope="module")
def gunicorn(database_url, tmp_path_factory, access_log):
    port = _free_port()
    env = subprocess_env(
        database_url,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        WEB_THREADS="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path_factory.mktemp("metrics")),
    )
    env.pop("FORWARDED_ALLOW_IPS", None)
    log_file = open(access_log, "w")  # noqa: SIM115 (gunicorn writes to it until the fixture ends)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.PIPE,
        text=True,
    )

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            return _get(port, "/healthz")[0] == 200
        except OSError:
            return False

    wait_for(up, timeout=60, message="gunicorn answering")
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log_file.close()


def test_finding_10_a_script_name_header_from_loopback_rewrites_no_link(gunicorn):
    status, _, html = _get(gunicorn, "/login", {"SCRIPT_NAME": "//evil.example", "Script-Name": "//evil.example"})
    assert status == 200
    assert "evil.example" not in html
    assert 'action="/login' in html or 'action=""' in html or 'href="/signup' in html


def test_finding_10_forwarded_proto_from_loopback_is_not_trusted_without_hops(gunicorn):
    # With TRUSTED_PROXY_HOPS=0 nothing a caller sends makes the request https (cookies, redirects, HSTS).
    status, headers, _ = _get(gunicorn, "/w/1", {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"})
    assert status in (302, 303)
    assert not headers["location"].startswith("https://")


def test_finding_10_gunicorn_config_trusts_no_peer(monkeypatch):
    import runpy

    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["forwarded_allow_ips"] == "" and config["forwarder_headers"] == ""
    assert config["secure_scheme_headers"] == {}


def _healthz_count(body: str) -> float:
    match = re.search(
        r'^vistaflow_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$', body, re.M
    )
    assert match, body[:2000]
    return float(match.group(1))


def test_finding_17_metrics_sum_every_gunicorn_worker(gunicorn):
    before = _healthz_count(_get(gunicorn, "/metrics")[2])
    for _ in range(REQUESTS):
        assert _get(gunicorn, "/healthz")[0] == 200
    scrapes = [_get(gunicorn, "/metrics") for _ in range(8)]
    counts = {_healthz_count(body) for _, _, body in scrapes}
    assert counts == {before + REQUESTS}, counts  # every scrape, whichever worker answers, sees all of them
    for status, headers, _ in scrapes:
        assert status == 200
        assert headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8" or (
            headers["content-type"].count("charset") == 1 and headers["content-type"].startswith("text/plain")
        ), headers["content-type"]


def test_finding_12_the_access_log_masks_oauth_codes_and_states(gunicorn, access_log):
    code, state = "AQD-one-time-code-4242", "eyJzdGF0ZSI6InNlY3JldCJ9.sig"
    _get(gunicorn, f"/social-accounts/instagram/callback?code={code}&state={state}")
    _get(gunicorn, f"/slack/oauth_redirect?state={state}&code={code}", {"Referer": f"https://x.example/?code={code}"})

    def logged() -> str:
        text = access_log.read_text()
        return text if text.count("code=***") >= 2 else ""

    text = wait_for(logged, timeout=20, message="both callbacks in the access log")
    assert code not in text and state not in text
    assert "/social-accounts/instagram/callback?code=***&state=***" in text
