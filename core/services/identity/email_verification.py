"""Proving an address: a link mailed at sign-up; until it is opened, the account owns at most one workspace.

What an unverified account can do: everything in its first workspace, and accept invitations (an
invitation is mailed to the address and must be accepted by the account with that address, so opening
it proves the mailbox, as a password-reset link does). Creating a second workspace needs the address
verified: that is where a made-up address would let one person spread across workspaces unchecked.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core import i18n, throttle
from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import _
from core.models import Door, User
from core.services import audit
from core.services.identity.actors import Actor
from core.services.mail import outbox

LINK_TTL = timedelta(days=3)
KIND = "verify_email"
RESENDS_PER_HOUR = 3
_SALT = "vistaflow.verify-email"
BAD_LINK = _("This verification link is unknown, expired or for another address; send a new one from your account.")
VERIFIED = _("Your email address is verified.")
NEEDED_FOR_SECOND_WORKSPACE = _(
    "Verify your email address before creating another workspace: open the link we mailed you, or send a new "
    "one from your account page."
)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_for(user: User) -> str:
    # The address is signed in: a link stops working when the address it proves is changed.
    token = _serializer().dumps({"u": user.id, "e": user.email.lower()})
    return f"{current_app.config['PUBLIC_URL']}/verify-email/{token}"


def send_link(user: User, *, resend: bool = False, locale: str | None = None) -> None:
    """Record and start the verification mail for an unverified account; commits. Throttled when resent."""
    if user.is_verified:
        return
    if resend:
        throttle.count_attempt(
            [(f"verify:user:{user.id}", RESENDS_PER_HOUR)], 3600, _("Too many verification mails; try again later.")
        )
    letter = outbox.Letter(
        subject=_("Confirm your email address for VistaFlow"),
        paragraphs=(
            _("Hello %(name)s,", name=user.name),
            _("Open this link to confirm that %(email)s is yours:", email=user.email),
        ),
        link=link_for(user),
        closing=(_("The link works for 3 days. If you did not create a VistaFlow account, ignore this mail."),),
    )
    message = outbox.record(KIND, user.email, letter, locale=_language(user, locale), user_id=user.id)
    db.session.commit()
    outbox.start(message.id)


def confirm(token: str, *, door: Door) -> User:
    """Mark the address behind a link verified (Invalid for a forged, expired or outdated link); commits."""
    try:
        claims = _serializer().loads(token or "", max_age=int(LINK_TTL.total_seconds()))
    except (BadSignature, SignatureExpired):
        raise Invalid(BAD_LINK, fields={"token": BAD_LINK}) from None
    user = db.session.get(User, claims.get("u")) if isinstance(claims, dict) else None
    if user is None or user.email.lower() != claims.get("e"):
        raise Invalid(BAD_LINK, fields={"token": BAD_LINK})
    if mark_verified(user):
        audit.record(Actor.for_user(user, door), "user.email_verified", subject_type="user", subject_id=user.id)
    db.session.commit()
    return user


def mark_verified(user: User) -> bool:
    """Note that a link mailed to the address was opened (the caller commits); False if it already was."""
    if user.is_verified:
        return False
    user.email_verified_at = utcnow()
    return True


def sent_to(user: User) -> i18n.Text:
    return _("A verification link is on its way to %(email)s; it works for 3 days.", email=user.email)


def _language(user: User, fallback: str | None) -> str:
    return i18n.normalise(user.locale) or i18n.normalise(fallback) or i18n.DEFAULT
