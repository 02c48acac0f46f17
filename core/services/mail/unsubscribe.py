"""One-click unsubscribe (RFC 8058): a signed link per person and switch that turns that switch off.

The link is the credential, as in every mailing: no sign-in, so a mail client can POST to it. It never
expires (an old digest's link must still work) and can only ever turn a switch off.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from core.db import db
from core.errors import Invalid
from core.i18n import Text, _
from core.models import Door, User
from core.services.identity import users
from core.services.identity.actors import Actor

_SALT = "vistaflow.unsubscribe"
SWITCH_NAMES = {
    "email_digest": _("the daily digest"),
    "hot_target_alerts": _("hot-target alerts"),
}
BAD_LINK = _("This unsubscribe link is not valid; turn mails off from your account page instead.")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def url_for(user: User, switch: str) -> str:
    """The address to POST `List-Unsubscribe=One-Click` to (or to open, for the confirming page)."""
    token = _serializer().dumps({"u": user.id, "s": switch})
    return f"{current_app.config['PUBLIC_URL']}/mail/unsubscribe/{token}"


def read(token: str) -> tuple[User, str]:
    """The person and the switch a link is for; Invalid for a forged one or a deleted account."""
    try:
        claims = _serializer().loads(token or "")
    except BadSignature:
        raise Invalid(BAD_LINK, fields={"token": BAD_LINK}) from None
    switch = claims.get("s") if isinstance(claims, dict) else None
    user = db.session.get(User, claims.get("u")) if switch in SWITCH_NAMES else None
    if user is None:
        raise Invalid(BAD_LINK, fields={"token": BAD_LINK})
    return user, switch


def apply(token: str) -> tuple[User, Text]:
    """Turn the link's switch off (audited once; repeating it changes nothing); returns who and what."""
    user, switch = read(token)
    users.update_me(actor=Actor.for_user(user, Door.CONSOLE), notifications={switch: False})
    return user, SWITCH_NAMES[switch]
