"""Security headers on every answer: CSP with a per-request nonce, HSTS in production, and the usual denials.

No template has an inline script or handler (their behaviour lives in /assets/*.js), so `script-src`
is 'self' plus a nonce that only a template rendered by this request can put on a <script> tag.
`form-action` lists the consent pages our connect forms redirect to: browsers apply it to the
redirect that follows a form submission too.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, g

HSTS = "max-age=31536000; includeSubDomains"
AUTHORIZE_URLS = ("INSTAGRAM_AUTHORIZE_URL", "TIKTOK_OAUTH_URL", "SLACK_AUTHORIZE_URL")


def csp_nonce() -> str:
    """This request's script nonce (made on first use), for `<script nonce="{{ csp_nonce() }}">`."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def content_security_policy(app: Flask, nonce: str) -> str:
    consent_pages = sorted({o for o in (_origin(app.config.get(key, "")) for key in AUTHORIZE_URLS) if o})
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            # style="" attributes remain in templates; styles cannot run code.
            "style-src 'self' 'unsafe-inline'",
            f"script-src 'self' 'nonce-{nonce}'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action " + " ".join(["'self'", *consent_pages]),
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    production = app.config.get("VISTAFLOW_ENV") == "production"
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if production:
            # Production is served over TLS (behind the proxy): browsers must never fall back to http.
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", content_security_policy(app, csp_nonce()))
        return response
