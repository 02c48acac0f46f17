"""/users/me: the caller's own profile, password, account deletion and personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint
from pydantic import Field

from console.api.auth import SessionOut
from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from core.models import ApiToken, User
from core.services import api_tokens, users
from core.services.users import NotificationPreferences

bp = Blueprint("users", __name__, url_prefix="/users")


class NotificationsPatch(In):
    email_digest: bool | None = None
    hot_target_alerts: bool | None = None


class ProfilePatch(In):
    name: str | None = Field(None, max_length=120)
    time_zone: str | None = Field(None, max_length=64)
    notifications: NotificationsPatch | None = None


class ProfileOut(Out):
    id: int
    email: str
    name: str
    time_zone: str
    notifications: NotificationPreferences
    is_platform_admin: bool
    last_login_at: datetime | None
    created_at: datetime


class PasswordIn(In):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class DeleteMeIn(In):
    password: str = Field(max_length=256)


class TokenIn(In):
    name: str = Field(max_length=80)


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked: bool


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="Shown once: store it now, it cannot be read again.")


def _profile_out(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "time_zone": user.time_zone,
        "notifications": users.notifications_of(user),
        "is_platform_admin": user.is_platform_admin,
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
    }


def _token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "revoked": token.revoked_at is not None,
    }


@operation(bp, "GET", "/me", summary="The caller's profile", response=ProfileOut)
def get_me():
    return _profile_out(users.get_me(actor=current_actor()))


@operation(
    bp,
    "PATCH",
    "/me",
    summary="Change name, time zone or notification preferences",
    body=ProfilePatch,
    response=ProfileOut,
)
def update_me(body: ProfilePatch):
    notifications = body.notifications.model_dump(exclude_none=True) if body.notifications else None
    user = users.update_me(actor=current_actor(), name=body.name, time_zone=body.time_zone, notifications=notifications)
    return _profile_out(user)


@operation(
    bp,
    "POST",
    "/me/password",
    summary="Change password: every other session and token is ended; a fresh token is returned",
    body=PasswordIn,
    response=SessionOut,
    errors=(429,),
)
def change_password(body: PasswordIn):
    return users.change_password(body.current_password, body.new_password, actor=current_actor())


@operation(
    bp,
    "DELETE",
    "/me",
    summary="Delete the caller's account (refused while last owner of a workspace)",
    body=DeleteMeIn,
    status=204,
    errors=(409, 429),
)
def delete_me(body: DeleteMeIn):
    users.delete_me(body.password, actor=current_actor())
    return None, 204


@operation(
    bp,
    "GET",
    "/me/tokens",
    summary="The caller's personal API tokens (never their secrets)",
    query=PageQuery,
    response=PageOut[TokenOut],
)
def list_tokens(query: PageQuery):
    page = api_tokens.page_for(actor=current_actor(), cursor=query.cursor, limit=query.limit)
    return {"items": [_token_out(t) for t in page.items], "next_cursor": page.next_cursor}


@operation(
    bp,
    "POST",
    "/me/tokens",
    summary="Create a personal API token; its secret is shown only here",
    body=TokenIn,
    response=TokenCreatedOut,
    status=201,
    errors=(409,),
)
def create_token(body: TokenIn):
    token, secret = api_tokens.create(body.name, actor=current_actor())
    return _token_out(token) | {"secret": secret}


@operation(bp, "DELETE", "/me/tokens/<int:token_id>", summary="Revoke a personal API token", status=204)
def revoke_token(token_id: int):
    api_tokens.revoke(token_id, actor=current_actor())
    return None, 204
