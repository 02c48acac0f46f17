"""Calling a URL a customer typed in, without letting it reach our own network (SSRF guard).

The host is resolved once, every address must be public, and the request then connects to the
checked address itself (Host header and TLS SNI keep the original name), so a DNS answer that
changes between the check and the connection (rebinding) cannot redirect the call inside.
Redirects are never followed, timeouts are short and the response body is capped.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from core.errors import Invalid
from core.i18n import _

TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
MAX_RESPONSE_BYTES = 64 * 1024
MAX_URL_LENGTH = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedTarget(Invalid):
    """The URL points somewhere we refuse to call (private network, wrong scheme...)."""


@dataclass(frozen=True)
class CheckedTarget:
    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress

    def connect_url(self) -> str:
        """The same URL with the checked address instead of the name."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return urlunsplit((self.scheme, f"{host}:{self.port}", parts.path or "/", parts.query, ""))

    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: httpx.Headers
    body: bytes


# IPv6 ranges whose addresses carry an IPv4 address that some router, tunnel or translator (6to4,
# Teredo, NAT64, SIIT, the old IPv4-compatible form) may deliver to: 2002:0a00:0001:: can reach 10.0.0.1.
# Python's is_global does not say so for all of them (and changes between versions), so they are
# refused by name: no webhook receiver needs one.
EMBEDDING_IPV4 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::ffff:0:0/96",  # IPv4-mapped
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0:0/96",  # SIIT, IPv4-translated
        "64:ff9b::/96",  # NAT64, well-known prefix
        "64:ff9b:1::/48",  # NAT64, local-use prefix
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
    )
)


def _unwrap(address: IPAddress) -> IPAddress:
    # ::ffff:127.0.0.1 is loopback too (the development allowance judges the IPv4 address it carries).
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def embeds_ipv4(address: IPAddress) -> bool:
    """True for IPv6 forms that carry an IPv4 address (mapped, compatible, 6to4, Teredo, NAT64, ISATAP)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return False
    if any(address in net for net in EMBEDDING_IPV4):
        return True
    # ISATAP: any prefix, an interface id of 0000:5efe or 0200:5efe followed by the IPv4 address.
    return (int(address) >> 32) & 0xFDFFFFFF == 0x00005EFE


def is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses that do not smuggle an IPv4 address."""
    if embeds_ipv4(address):
        return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global  # CGNAT 100.64/10, documentation ranges...
    )


def _allowed(address: IPAddress, allow_loopback: bool) -> bool:
    return is_public(address) or (allow_loopback and _unwrap(address).is_loopback)


def _refuse(reason: Any, field: str) -> BlockedTarget:
    return BlockedTarget("This URL cannot be used.", fields={field: reason})


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def check_url(url: str, *, require_https: bool, allow_loopback: bool, field: str = "url") -> CheckedTarget:
    """Parse, resolve and vet `url`; BlockedTarget (an Invalid naming `field`) when it may not be called."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise _refuse(f"Give a URL of at most {MAX_URL_LENGTH} characters.", field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("This is not a valid URL.", field) from None
    scheme = parts.scheme.lower()
    allowed_schemes = ("https",) if require_https else ("https", "http")
    if scheme not in allowed_schemes:
        raise _refuse("Use an https:// URL." if require_https else "Use an http:// or https:// URL.", field)
    if parts.username or parts.password:
        raise _refuse("Credentials in the URL are not allowed; use the signing secret to authenticate.", field)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise _refuse("The URL has no host.", field)
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise _refuse(
            _(
                "The host %(host)s does not resolve: check its spelling, or ask whoever runs the receiving "
                "server for its public https:// address.",
                host=host,
            ),
            field,
        )
    blocked = [a for a in addresses if not _allowed(a, allow_loopback)]
    if blocked:
        # Every address must pass: a name with one public and one private answer is still refused.
        raise _refuse(f"The host {host} resolves to a private or reserved address ({blocked[0]}).", field)
    return CheckedTarget(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def post(
    target: CheckedTarget,
    *,
    content: bytes,
    headers: dict[str, str],
    transport: httpx.BaseTransport | None = None,
) -> Response:
    """POST to the checked address; no redirects, short timeouts, at most MAX_RESPONSE_BYTES read."""
    request_headers = {**headers, "Host": target.host_header()}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, transport=transport, trust_env=False) as client:
        request = client.build_request(
            "POST", target.connect_url(), content=content, headers=request_headers, extensions=extensions
        )
        response = client.send(request, stream=True)
        try:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_RESPONSE_BYTES:
                    body = body[:MAX_RESPONSE_BYTES]
                    break
        finally:
            response.close()
        return Response(status_code=response.status_code, headers=response.headers, body=body)
