"""The SSRF guard: private, loopback, link-local, CGNAT, metadata and mapped addresses are refused."""

from __future__ import annotations

import ipaddress

import pytest

from core.integrations import ssrf
from tests.emulators.server import Reply
from tests.emulators.webhook_receiver import WebhookReceiver

OFF = {"require_https": False, "allow_loopback": False}
TESTS = {"require_https": False, "allow_loopback": True}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.1/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
        "http://localhost:8080/hook",  # a name that resolves to a loopback address
    ],
)
def test_private_and_reserved_targets_are_refused(url):
    with pytest.raises(ssrf.BlockedTarget) as exc:
        ssrf.check_url(url, **OFF)
    assert "private or reserved" in exc.value.fields["url"]


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/hook", "http://169.254.169.254/", "http://[::ffff:192.168.0.1]/", "http://100.100.1.1/"]
)
def test_the_test_setting_allows_loopback_only(url):
    assert ssrf.check_url("http://127.0.0.1:9/hook", **TESTS).address == ipaddress.ip_address("127.0.0.1")
    with pytest.raises(ssrf.BlockedTarget):
        ssrf.check_url(url, **TESTS)


def test_https_only_in_production_and_other_url_mistakes():
    with pytest.raises(ssrf.BlockedTarget, match="cannot be used") as exc:
        ssrf.check_url("http://93.184.216.34/hook", require_https=True, allow_loopback=False)
    assert "https" in exc.value.fields["url"]
    target = ssrf.check_url("https://93.184.216.34/hook?x=1", require_https=True, allow_loopback=False)
    assert (target.scheme, target.port, target.connect_url()) == ("https", 443, "https://93.184.216.34:443/hook?x=1")
    for bad in [
        "ftp://93.184.216.34/",
        "https://user:pw@93.184.216.34/",
        "not a url",
        "https:///nohost",
        "https://no-such-host.invalid/hook",
    ]:
        with pytest.raises(ssrf.BlockedTarget):
            ssrf.check_url(bad, **OFF)


def test_the_request_goes_to_the_checked_address_with_the_original_host_and_a_capped_body():
    with WebhookReceiver() as receiver:
        receiver.add_fault(Reply(200, b"x" * (1024 * 1024)))
        port = int(receiver.url.rsplit(":", 1)[1])
        # The name is never resolved again: the call reaches the address that was checked.
        target = ssrf.CheckedTarget(
            url=f"http://hooks.example.test:{port}/in",
            scheme="http",
            host="hooks.example.test",
            port=port,
            address=ipaddress.ip_address("127.0.0.1"),
        )
        response = ssrf.post(target, content=b"{}", headers={"Content-Type": "application/json"})
        assert response.status_code == 200 and len(response.body) == ssrf.MAX_RESPONSE_BYTES
        [call] = receiver.calls()
        assert call.path == "/in" and call.headers["host"] == f"hooks.example.test:{port}"
