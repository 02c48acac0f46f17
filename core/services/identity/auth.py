"""Registering, logging in, and turning a presented credential into a user."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import throttle
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, TooManyRequests, Unauthorized, VistaFlowError
from core.i18n import _
from core.models import ApiToken, Door, User
from core.security.passwords import hash_password, needs_rehash, verify_password
from core.security.tokens import decode_jwt, digest_api_token, issue_jwt, looks_like_api_token
from core.services import audit
from core.services.identity import email_verification
from core.services.identity.actors import Actor
from core.validation import check_password, clean_email, clean_name, collect

BAD_CREDENTIALS = _("Invalid email or password.")
SUSPENDED = _("This account is suspended; contact your VistaFlow operator.")


@dataclass(frozen=True)
class Session:
    user: User
    access_token: str
    expires_in: int


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def register(
    email: str,
    password: str,
    name: str,
    *,
    door: Door,
    ip: str | None = None,
    is_platform_admin: bool = False,
    verified: bool = False,
    locale: str | None = None,
) -> User:
    """Create a user account and mail the verification link; Conflict if the email is taken.

    `verified` is for accounts an operator makes (CLI, demo): the operator vouches for the address.
    `locale` is the sign-up page's language, for the verification mail. TooManyRequests after many
    tries at taken addresses.
    """
    # Each "already registered" tells the caller an address has an account: an address of the
    # caller's own, now and then; a list of them, when probing. Past a few per hour, nothing more.
    taken_key = f"register:taken:ip:{throttle.client_key(ip)}" if ip else None
    if taken_key:
        count, wait = throttle.failures(taken_key, current_app.config["REGISTER_TAKEN_WINDOW"])
        if count >= current_app.config["REGISTER_MAX_TAKEN_PER_IP"]:
            raise TooManyRequests(_("Too many sign-up attempts; try again later."), retry_after=wait)
    cleaned = collect(
        email=lambda: clean_email(email),
        password=lambda: check_password(password, personal=(email, name)),
        name=lambda: clean_name(name),
    )
    email = cleaned["email"]
    if find_user_by_email(email) is not None:
        if taken_key:
            throttle.add_failure(taken_key, current_app.config["REGISTER_TAKEN_WINDOW"])
        raise Conflict(_("An account with this email already exists."), fields={"email": _("Already registered.")})
    user = User(
        email=email,
        name=cleaned["name"],
        password_hash=hash_password(password),
        is_platform_admin=is_platform_admin,
        preferences={},
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    try:
        db.session.flush()
        audit.record(Actor.for_user(user, door), "user.registered", subject_type="user", subject_id=user.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            _("An account with this email already exists."), fields={"email": _("Already registered.")}
        ) from None
    email_verification.send_link(user, locale=locale)
    return user


def _throttle_keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    cfg = current_app.config
    keys = [(f"login:email:{email.strip().lower()}", cfg["LOGIN_MAX_FAILURES_PER_EMAIL"])]
    if ip:
        keys.append((f"login:ip:{throttle.client_key(ip)}", cfg["LOGIN_MAX_FAILURES_PER_IP"]))
    return keys


def authenticate(email: str, password: str, *, ip: str | None, door: Door) -> User:
    """Check credentials with throttling per email and per IP; one generic message on failure."""
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    keys = _throttle_keys(email or "", ip)
    for key, limit in keys:
        count, wait = throttle.failures(key, window)
        if count >= limit:
            raise TooManyRequests(_("Too many failed logins; try again later."), retry_after=wait)

    user = find_user_by_email(email or "")
    if not verify_password(user.password_hash if user else None, password or ""):
        for key, _count in keys:
            throttle.add_failure(key, window)
        raise Unauthorized(BAD_CREDENTIALS)
    if user.is_suspended:
        raise Forbidden(SUSPENDED)

    throttle.clear(keys[0][0])
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record(Actor.for_user(user, door), "user.logged_in", subject_type="user", subject_id=user.id)
    db.session.commit()
    return user


def issue_session(user: User) -> Session:
    ttl = current_app.config["JWT_ACCESS_TTL"]
    token = issue_jwt(user.id, user.token_version, secret=current_app.config["JWT_SECRET"], ttl_seconds=ttl)
    return Session(user=user, access_token=token, expires_in=ttl)


def user_from_bearer(token: str) -> User:
    """Resolve a JWT or a personal API token to an active user, or raise Unauthorized/Forbidden."""
    if looks_like_api_token(token):
        api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest_api_token(token)))
        if api_token is None or api_token.revoked_at is not None:
            raise Unauthorized(_("The API token is invalid or revoked."))
        user = api_token.user
        now = utcnow()
        # Written at most once a minute so a busy script does not turn every read into a write.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            api_token.last_used_at = now
            db.session.commit()
    else:
        claims = decode_jwt(token, secret=current_app.config["JWT_SECRET"])
        user = db.session.get(User, claims.user_id)
        if user is None or claims.token_version != user.token_version:
            raise Unauthorized(_("The access token is no longer valid; log in again."))
    if user.is_suspended:
        raise Forbidden(SUSPENDED)
    return user


def locale_of_bearer(token: str) -> str | None:
    """The language chosen by the user behind a bearer token, read without side effects (None if invalid)."""
    if looks_like_api_token(token):
        api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest_api_token(token)))
        user = api_token.user if api_token is not None and api_token.revoked_at is None else None
    else:
        try:
            claims = decode_jwt(token, secret=current_app.config["JWT_SECRET"])
        except VistaFlowError:
            return None
        user = db.session.get(User, claims.user_id)
        if user is not None and claims.token_version != user.token_version:
            user = None
    return user.locale if user is not None and not user.is_suspended else None


def user_for_session(user_id: int, token_version: int) -> User | None:
    """The console's session check: None when the user is gone, suspended or changed password."""
    user = db.session.get(User, user_id)
    if user is None or user.token_version != token_version or user.is_suspended:
        return None
    return user
