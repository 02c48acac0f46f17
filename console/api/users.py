"""/users/me: the caller's own profile, password, account deletion and personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint
from pydantic import Field

from console.api.auth import AcceptedOut, SessionOut
from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from console.i18n import render
from core.models import ApiToken, User
from core.services.identity import api_tokens, email_verification, users
from core.services.identity.users import NotificationPreferences

bp = Blueprint("users", __name__, url_prefix="/users")


class NotificationsPatch(In):
    email_digest: bool | None = None
    digest_hour: int | None = Field(None, description="0-23, in the user's time zone.")
    hot_target_alerts: bool | None = None


class ProfilePatch(In):
    name: str | None = Field(None, max_length=120)
    time_zone: str | None = Field(None, max_length=64)
    locale: str | None = Field(None, max_length=8, description="'en' or 'fr'; '' follows the browser again.")
    notifications: NotificationsPatch | None = None


class ProfileOut(Out):
    id: int
    email: str
    name: str
    time_zone: str
    locale: str | None = Field(description="The chosen language; null follows Accept-Language.")
    notifications: NotificationPreferences
    email_verified_at: datetime | None = Field(description="null until the link mailed at sign-up is opened.")
    is_platform_admin: bool
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> ProfileOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            time_zone=user.time_zone,
            locale=user.locale,
            notifications=users.notifications_of(user),
            email_verified_at=user.email_verified_at,
            is_platform_admin=user.is_platform_admin,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
        )


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

    @classmethod
    def of(cls, token: ApiToken, **extra: Any) -> TokenOut:
        """`extra` fills a subclass's own fields (the created token's secret)."""
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            revoked=token.revoked_at is not None,
            **extra,
        )


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="Shown once: store it now, it cannot be read again.")


@operation(bp, "GET", "/me", summary="The caller's profile", response=ProfileOut)
def get_me():
    return ProfileOut.of(users.get_me(actor=current_actor()))


@operation(
    bp,
    "PATCH",
    "/me",
    summary="Change name, time zone, language or notification preferences",
    body=ProfilePatch,
    response=ProfileOut,
)
def update_me(body: ProfilePatch):
    notifications = body.notifications.model_dump(exclude_none=True) if body.notifications else None
    user = users.update_me(
        actor=current_actor(), name=body.name, time_zone=body.time_zone, locale=body.locale, notifications=notifications
    )
    return ProfileOut.of(user)


@operation(
    bp,
    "POST",
    "/me/verification",
    summary="Mail the address-verification link again (nothing to do once verified)",
    response=AcceptedOut,
    status=202,
    errors=(429,),
)
def resend_verification():
    user = users.get_me(actor=current_actor())
    email_verification.send_link(user, resend=True)
    message = email_verification.VERIFIED if user.is_verified else email_verification.sent_to(user)
    return AcceptedOut(message=render(message))


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
    return page.map(TokenOut.of)


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
    return TokenCreatedOut.of(token, secret=secret)


@operation(bp, "DELETE", "/me/tokens/<int:token_id>", summary="Revoke a personal API token", status=204)
def revoke_token(token_id: int):
    api_tokens.revoke(token_id, actor=current_actor())
    return None, 204
