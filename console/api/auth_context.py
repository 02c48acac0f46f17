"""Who is calling the JSON API: a Bearer JWT or a personal API token."""

from __future__ import annotations

from flask import request

from core.errors import Unauthorized
from core.i18n import _
from core.models import Door, User
from core.services.identity import auth
from core.services.identity.actors import Actor


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


CACHE_KEY = "vistaflow.api_user"


def current_user() -> User:
    # Cached on the request itself: `g` may outlive one request (an app context pushed around
    # several requests), and a user must never carry over to another caller's request.
    if CACHE_KEY not in request.environ:
        token = bearer_token()
        if token is None:
            raise Unauthorized(_("Send an access token: Authorization: Bearer <token>."))
        request.environ[CACHE_KEY] = auth.user_from_bearer(token)
    return request.environ[CACHE_KEY]


def current_actor() -> Actor:
    return Actor.for_user(current_user(), Door.API)
