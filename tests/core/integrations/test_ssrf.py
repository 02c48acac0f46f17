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


@pytest.mark.parametrize(
    "address",
    [
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of the metadata address
        "2002:808:808::1",  # 6to4 of a public address: still a relay we do not choose
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo
        "2001::a00:1",
        "64:ff9b::a00:1",  # NAT64 (well-known prefix) of 10.0.0.1
        "64:ff9b::808:808",
        "64:ff9b:1::a00:1",  # NAT64, local-use prefix
        "::a00:1",  # IPv4-compatible (deprecated)
        "::ffff:0:a00:1",  # SIIT
        "::ffff:8.8.8.8",  # IPv4-mapped, even of a public address
        "2606:4700::5efe:a00:1",  # ISATAP interface id on a global prefix
        "2606:4700::200:5efe:a00:1",
    ],
)
def test_finding_11_ipv6_forms_embedding_an_ipv4_address_are_refused(address):
    assert ssrf.embeds_ipv4(ipaddress.ip_address(address))
    with pytest.raises(ssrf.BlockedTarget) as exc:
        ssrf.check_url(f"https://[{address}]/hook", **OFF)
    assert "private or reserved" in exc.value.fields["url"]


@pytest.mark.parametrize("address", ["2606:4700:4700::1111", "2a00:1450:4007:80f::200e", "2606:4700::5eff:a00:1"])
def test_finding_11_ordinary_global_ipv6_addresses_still_pass(address):
    assert not ssrf.embeds_ipv4(ipaddress.ip_address(address))
    assert ssrf.check_url(f"https://[{address}]/hook", **OFF).address == ipaddress.ip_address(address)
