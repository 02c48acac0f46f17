"""Access tokens: HS256 JWTs for sessions, and hashed personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from core.errors import Unauthorized
from core.i18n import _

ALGORITHM = "HS256"
API_TOKEN_PREFIX = "vf_"


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    token_version: int


def issue_jwt(user_id: int, token_version: int, *, secret: str, ttl_seconds: int) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        "ver": token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode_jwt(token: str, *, secret: str) -> AccessClaims:
    """Verify signature and expiry; only HS256 is accepted, so `alg: none` and RS/HS confusion fail."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
        return AccessClaims(user_id=int(payload["sub"]), token_version=int(payload.get("ver", 0)))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized(_("The access token has expired; log in again.")) from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise Unauthorized(_("The access token is invalid.")) from exc


def new_api_token() -> tuple[str, str]:
    """Return (secret shown once, digest to store)."""
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, digest_api_token(secret)


def digest(secret: str) -> str:
    """What we keep of a secret handed out once (a link, a code, a token): its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def digest_api_token(secret: str) -> str:
    return digest(secret)


def looks_like_api_token(token: str) -> bool:
    return token.startswith(API_TOKEN_PREFIX)
