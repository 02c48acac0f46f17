"""Where the console may send a browser back to: paths of this site only, never another host."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def local_path(target: str | None) -> str | None:
    """`target` when it is a path of this site, else None."""
    # An absolute URL would be an open redirect. Browsers read a backslash as "/" and drop tabs
    # and newlines, so "/<backslash>evil.example" leaves the site too.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
        and urlsplit(target).netloc == ""
    ):
        return target
    return None


def referrer_or(default: str) -> str:
    """The page the request came from when it is one of ours (same host), else `default`."""
    referrer = request.referrer
    if not referrer:
        return default
    parts = urlsplit(referrer)
    # The host only: behind a TLS proxy the browser's Referer says https while the app may see http.
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return default
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return local_path(path) or default
