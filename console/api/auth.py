"""/auth: register, log in, who am I."""

from __future__ import annotations

from flask import Blueprint, request
from pydantic import Field

from console.api.auth_context import current_actor, current_user
from console.api.schemas import In, Out, UserOut
from console.api.spec import operation
from console.i18n import current_locale, render
from core.models import Door
from core.services.identity import auth, email_verification, password_reset
from core.services.workspaces import lifecycle as workspaces

bp = Blueprint("auth", __name__, url_prefix="/auth")


class RegisterIn(In):
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)
    name: str = Field(max_length=120)


class LoginIn(In):
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)


class PasswordResetIn(In):
    email: str = Field(max_length=320)


class PasswordResetConfirmIn(In):
    token: str = Field(max_length=200)
    new_password: str = Field(max_length=256)


class AcceptedOut(Out):
    message: str


class SessionOut(Out):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserOut


class WorkspaceRoleOut(Out):
    id: int
    name: str
    slug: str
    role: str


class MeOut(Out):
    user: UserOut
    workspaces: list[WorkspaceRoleOut]


@operation(
    bp,
    "POST",
    "/register",
    summary="Create an account",
    body=RegisterIn,
    response=SessionOut,
    status=201,
    auth=False,
    errors=(409, 422, 429),
)
def register(body: RegisterIn):
    user = auth.register(
        body.email, body.password, body.name, door=Door.API, ip=request.remote_addr, locale=current_locale()
    )
    return auth.issue_session(user)


@operation(
    bp,
    "POST",
    "/login",
    summary="Exchange credentials for an access token",
    body=LoginIn,
    response=SessionOut,
    auth=False,
    errors=(401, 403, 429),
)
def login(body: LoginIn):
    user = auth.authenticate(body.email, body.password, ip=request.remote_addr, door=Door.API)
    return auth.issue_session(user)


@operation(
    bp,
    "POST",
    "/password-reset",
    summary="Mail a password-reset link to this address, if it has an account (the same answer either way)",
    body=PasswordResetIn,
    response=AcceptedOut,
    status=202,
    auth=False,
    errors=(422, 429),
)
def request_password_reset(body: PasswordResetIn):
    password_reset.request_reset(body.email, door=Door.API, ip=request.remote_addr, locale=current_locale())
    return AcceptedOut(message=render(password_reset.SENT))


@operation(
    bp,
    "POST",
    "/password-reset/confirm",
    summary="Set a new password with the link's token; every session and access token ends",
    body=PasswordResetConfirmIn,
    response=AcceptedOut,
    auth=False,
    errors=(422,),
)
def confirm_password_reset(body: PasswordResetConfirmIn):
    password_reset.reset_password(body.token, body.new_password, door=Door.API)
    return AcceptedOut(message=render(password_reset.DONE))


class VerifyEmailIn(In):
    token: str = Field(max_length=400)


@operation(
    bp,
    "POST",
    "/verify-email",
    summary="Confirm an address with the token of the link mailed at sign-up",
    body=VerifyEmailIn,
    response=AcceptedOut,
    auth=False,
    errors=(422,),
)
def verify_email(body: VerifyEmailIn):
    email_verification.confirm(body.token, door=Door.API)
    return AcceptedOut(message=render(email_verification.VERIFIED))


def _me() -> dict:
    rows = workspaces.list_for(current_actor())
    return {
        "user": current_user(),
        "workspaces": [{"id": w.id, "name": w.name, "slug": w.slug, "role": r.value} for w, r in rows],
    }


@operation(bp, "GET", "/me", summary="The caller and their workspaces", response=MeOut)
def me():
    return _me()


@operation(bp, "POST", "/me", summary="The caller and their workspaces (POST alias)", response=MeOut)
def me_post():
    return _me()
