"""Forgotten passwords: a single-use link by mail, valid one hour, that ends every session when used.

Asking answers the same, and does the same work, whether or not the address has an account: the
difference is only in whether the recorded mail is sent.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from core import i18n, throttle
from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import _
from core.models import Door, PasswordReset, User
from core.security.passwords import hash_password
from core.security.tokens import digest
from core.services import audit
from core.services.identity import console_sessions, email_verification
from core.services.identity.actors import Actor
from core.services.identity.auth import find_user_by_email
from core.services.mail import outbox
from core.validation import check_password, clean_email

LINK_TTL = timedelta(hours=1)
THROTTLE_WINDOW = 3600
KIND = "password_reset"
SENT = _(
    "If this address has a VistaFlow account, a link to choose a new password is on its way. It works once, "
    "for one hour."
)
DONE = _("Your password is changed, and every session was signed out. Log in with the new password.")
BAD_LINK = _("This reset link is unknown, expired or already used; ask for a new one.")


def request_reset(email: str, *, door: Door, ip: str | None, locale: str | None) -> None:
    """Mail a reset link to the account with this address, if there is one; the caller learns nothing."""
    address = clean_email(email)
    _throttle(address, ip)
    user = find_user_by_email(address)
    if user is not None and user.is_suspended:
        user = None  # a suspended person cannot sign in: a link would only say the account exists
    language = i18n.normalise(user.locale if user is not None else None) or i18n.normalise(locale) or i18n.DEFAULT
    letter = None
    if user is not None:
        token = secrets.token_urlsafe(32)
        db.session.add(PasswordReset(user_id=user.id, token_hash=digest(token), expires_at=utcnow() + LINK_TTL))
        letter = _letter(user, f"{current_app.config['PUBLIC_URL']}/reset-password/{token}")
        audit.record(
            Actor.for_user(user, door), "user.password_reset_requested", subject_type="user", subject_id=user.id
        )
    message = outbox.record(KIND, address, letter, locale=language, user_id=user.id if user else None)
    db.session.commit()
    outbox.start(message.id)  # for an unknown address too (the job finds nothing to send): same work


def check_link(token: str) -> PasswordReset:
    """The live reset behind a link (Invalid otherwise): what the "choose a new password" page shows."""
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest(token or "")))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise Invalid(BAD_LINK, fields={"token": BAD_LINK})
    return reset


def reset_password(token: str, new_password: str, *, door: Door) -> User:
    """Set the new password from a link, once; every session, JWT and remember-me cookie ends."""
    reset = check_link(token)
    user = db.session.get(User, reset.user_id)
    check_password(new_password, "new_password", personal=(user.email, user.name))
    # One UPDATE decides, so the same link opened twice at once resets once.
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise Invalid(BAD_LINK, fields={"token": BAD_LINK})
    # The other links mailed to this person stop working too: the password they were for is gone.
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    user.password_hash = hash_password(new_password)
    email_verification.mark_verified(user)  # the link reached the mailbox
    user.token_version = User.token_version + 1
    console_sessions.end_all(user.id)
    audit.record(Actor.for_user(user, door), "user.password_reset", subject_type="user", subject_id=user.id)
    db.session.commit()
    throttle.clear(f"login:email:{user.email}")
    return user


def _throttle(address: str, ip: str | None) -> None:
    cfg = current_app.config
    keys = [(f"reset:email:{address}", cfg["PASSWORD_RESET_MAX_PER_EMAIL"])]
    if ip:
        keys.append((f"reset:ip:{throttle.client_key(ip)}", cfg["PASSWORD_RESET_MAX_PER_IP"]))
    throttle.count_attempt(keys, THROTTLE_WINDOW, _("Too many password reset requests; try again later."))


def _letter(user: User, link: str) -> outbox.Letter:
    return outbox.Letter(
        subject=_("Reset your VistaFlow password"),
        paragraphs=(
            _("Hello %(name)s,", name=user.name),
            _("Someone (we hope you) asked to reset your VistaFlow password. Choose a new one here:"),
        ),
        link=link,
        closing=(_("The link works once, for one hour. If you did not ask, ignore this mail: nothing changes."),),
    )
