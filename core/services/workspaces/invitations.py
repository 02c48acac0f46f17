"""Invitations: an owner or admin invites an address with a role; the person joins on accepting.

Inviting answers the same whether or not the address has an account, and the members list shows the
address only until the person accepts: nobody learns who has an account, nor adds anyone unasked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from core import throttle
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid
from core.i18n import Text, _
from core.models import Invitation, Membership, Role, User, Workspace
from core.security.tokens import digest
from core.services import audit
from core.services.identity import email_verification
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.identity.auth import find_user_by_email
from core.services.mail import outbox
from core.services.workspaces import lifecycle
from core.services.workspaces import settings as workspace_settings
from core.validation import clean_email, collect
from core.words import ROLE_NAMES

INVITATION_TTL = timedelta(days=7)
# Invitations per person and per workspace in an hour: enough to bring a team in, too few to probe.
INVITES_PER_WINDOW = 30
INVITE_WINDOW = 3600
KIND = "invitation"
BAD_LINK = _("This invitation is unknown, expired, revoked or already used; ask for a new one.")


@dataclass(frozen=True)
class Issued:
    """An invitation just made (or sent again), with its link: mailed, and shown once to the inviter."""

    invitation: Invitation
    link: str
    message: Text


def invite(workspace_id: int, email: str, role: str, *, actor: Actor) -> Issued:
    """Invite an address with a role (owner/admin); an earlier pending invitation of it is replaced."""
    workspace = require_active(require_role(workspace_id, actor, Role.ADMIN))
    cleaned = collect(email=lambda: clean_email(email), role=lambda: lifecycle.parse_role(role))
    _workspace, actor_role = lifecycle.get(workspace_id, actor=actor)
    lifecycle.check_grant(actor_role, cleaned["role"])
    _throttle(actor, workspace_id)
    address, chosen = cleaned["email"], cleaned["role"]
    member = db.session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id, User.email == address)
    )
    if member is not None:  # members are listed to the inviter anyway: saying so reveals nothing new
        raise Conflict(_("This address is already a member."), fields={"email": _("Already a member.")})
    now = utcnow()
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.workspace_id == workspace_id,
            Invitation.email == address,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    invitation = Invitation(
        workspace_id=workspace_id, email=address, role=chosen.value, invited_by_user_id=actor.user_id, token_hash=""
    )
    db.session.add(invitation)
    audit.record(
        actor,
        "invitation.created",
        workspace_id=workspace_id,
        subject_type="invitation",
        details={"email": address, "role": chosen.value},
    )
    return _send(invitation, workspace, actor)


def resend(workspace_id: int, invitation_id: int, *, actor: Actor) -> Issued:
    """Mail a pending invitation again with a fresh link and seven more days (the old link stops working)."""
    workspace = require_active(require_role(workspace_id, actor, Role.ADMIN))
    invitation = _pending(workspace_id, invitation_id, actor)
    _throttle(actor, workspace_id)
    audit.record(
        actor, "invitation.resent", workspace_id=workspace_id, subject_type="invitation", subject_id=invitation.id
    )
    return _send(invitation, workspace, actor)


def revoke(workspace_id: int, invitation_id: int, *, actor: Actor) -> Invitation:
    """Withdraw a pending invitation (owner/admin): its link stops working."""
    require_role(workspace_id, actor, Role.ADMIN)
    invitation = _pending(workspace_id, invitation_id, actor)
    invitation.revoked_at = utcnow()
    audit.record(
        actor, "invitation.revoked", workspace_id=workspace_id, subject_type="invitation", subject_id=invitation.id
    )
    db.session.commit()
    return invitation


def pending(workspace_id: int, *, actor: Actor) -> list[Invitation]:
    """The workspace's invitations still waiting for an answer, newest first."""
    require_role(workspace_id, actor, Role.MEMBER)
    rows = db.session.scalars(
        select(Invitation)
        .where(
            Invitation.workspace_id == workspace_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.id.desc())
    )
    return list(rows)


@dataclass(frozen=True)
class Preview:
    """What the invitation page shows before the person accepts."""

    email: str
    role: Role
    workspace_name: str
    inviter_name: str | None
    expires_at: datetime


def preview(token: str) -> Preview:
    """The live invitation behind a link (Invalid otherwise)."""
    invitation = _live(token)
    workspace = db.session.get(Workspace, invitation.workspace_id)
    inviter = db.session.get(User, invitation.invited_by_user_id) if invitation.invited_by_user_id else None
    return Preview(
        invitation.email,
        Role(invitation.role),
        workspace.name,
        inviter.name if inviter else None,
        invitation.expires_at,
    )


def accept(token: str, *, actor: Actor) -> Membership:
    """Join the workspace as the signed-in person the invitation was sent to; the link then stops working."""
    invitation = _live(token)
    user = db.session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise Forbidden(_("Sign in to accept the invitation."))
    if user.email.lower() != invitation.email.lower():
        raise Forbidden(
            _(
                "This invitation is for %(email)s; sign in with that address to accept it.",
                email=invitation.email,
            )
        )
    workspace = require_active(db.session.get(Workspace, invitation.workspace_id))
    # One UPDATE decides, so a link opened twice at once joins once.
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(accepted_at=utcnow(), accepted_by_user_id=user.id)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise Invalid(BAD_LINK, fields={"token": BAD_LINK})
    email_verification.mark_verified(user)  # the invitation was mailed to this address
    membership = db.session.scalar(
        select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == user.id)
    )
    if membership is not None:  # joined some other way meanwhile: the invitation is simply used up
        db.session.commit()
        return membership
    return lifecycle.join(workspace, user, Role(invitation.role), actor=actor)


def _send(invitation: Invitation, workspace: Workspace, actor: Actor) -> Issued:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = digest(token)
    invitation.expires_at = utcnow() + INVITATION_TTL
    link = f"{current_app.config['PUBLIC_URL']}/invitations/{token}"
    invitee = find_user_by_email(invitation.email)
    inviter = db.session.get(User, actor.user_id) if actor.user_id is not None else None
    locale = (invitee.locale if invitee else None) or workspace_settings.read(workspace.settings).default_locale
    letter = outbox.Letter(
        subject=_("Join %(workspace)s on VistaFlow", workspace=workspace.name),
        paragraphs=(
            _(
                "%(inviter)s invites you to the VistaFlow workspace “%(workspace)s” as %(role)s.",
                inviter=inviter.name if inviter else "VistaFlow",
                workspace=workspace.name,
                role=ROLE_NAMES[invitation.role],
            ),
            _("Open the link to accept; you can sign in or create an account with this address there:"),
        ),
        link=link,
        closing=(_("The invitation works once, for 7 days. If you do not know this team, ignore this mail."),),
    )
    db.session.flush()
    message = outbox.record(KIND, invitation.email, letter, locale=locale, user_id=invitee.id if invitee else None)
    db.session.commit()
    outbox.start(message.id)
    return Issued(
        invitation,
        link,
        _(
            "Invitation sent to %(email)s (%(role)s). They join when they accept it; the link works for 7 days.",
            email=invitation.email,
            role=ROLE_NAMES[invitation.role],
        ),
    )


def _pending(workspace_id: int, invitation_id: int, actor: Actor) -> Invitation:
    invitation = get_scoped(Invitation, invitation_id, actor, Role.ADMIN, what="Invitation", workspace_id=workspace_id)
    if not invitation.is_pending:
        raise Conflict(_("This invitation was already accepted, revoked or has expired."))
    return invitation


def _live(token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == digest(token or "")))
    if invitation is None or not invitation.is_pending:
        raise Invalid(BAD_LINK, fields={"token": BAD_LINK})
    return invitation


def _throttle(actor: Actor, workspace_id: int) -> None:
    # Per person and per workspace, so accounts made to probe with start from the workspace's count.
    keys = [
        (f"invite:user:{actor.user_id}", INVITES_PER_WINDOW),
        (f"invite:workspace:{workspace_id}", INVITES_PER_WINDOW),
    ]
    throttle.count_attempt(keys, INVITE_WINDOW, _("Too many invitations in a short time; try again later."))
