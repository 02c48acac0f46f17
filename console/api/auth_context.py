"""Who is calling the JSON API: a Bearer JWT or a personal API token."""

from __future__ import annotations

from flask import g, request

from core.errors import Unauthorized
from core.models import Door, User
from core.services import auth
from core.services.actors import Actor


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user() -> User:
    if "api_user" not in g:
        token = bearer_token()
        if token is None:
            raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
        g.api_user = auth.user_from_bearer(token)
    return g.api_user


def current_actor() -> Actor:
    return Actor.for_user(current_user(), Door.API)
