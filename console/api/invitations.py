"""/workspaces/<id>/invitations and /invitations/accept: people join a workspace by accepting."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out
from console.api.spec import operation
from console.i18n import render
from core.models import Invitation, Membership
from core.services.workspaces import invitations

bp = Blueprint("invitations", __name__)


class InvitationIn(In):
    email: str = Field(max_length=320)
    role: str = Field("member", max_length=16)


class AcceptIn(In):
    token: str = Field(max_length=200)


class InvitationOut(Out):
    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationOut:
        return cls(
            id=invitation.id,
            email=invitation.email,
            role=invitation.role,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
        )


class IssuedOut(InvitationOut):
    invite_url: str = Field(description="The link mailed to the address; shown to the inviter once.")
    message: str

    @classmethod
    def issued(cls, issued: invitations.Issued) -> IssuedOut:
        base = InvitationOut.of(issued.invitation).model_dump()
        return cls(**base, invite_url=issued.link, message=render(issued.message))


class InvitationsOut(Out):
    items: list[InvitationOut]


class JoinedOut(Out):
    workspace_id: int
    role: str

    @classmethod
    def of(cls, membership: Membership) -> JoinedOut:
        return cls(workspace_id=membership.workspace_id, role=membership.role.value)


@operation(
    bp,
    "POST",
    "/workspaces/<int:workspace_id>/invitations",
    summary="Invite an address with a role (owner/admin); the same answer whether or not it has an account",
    body=InvitationIn,
    response=IssuedOut,
    status=202,
    errors=(403, 409, 429),
)
def create_invitation(workspace_id: int, body: InvitationIn):
    return IssuedOut.issued(invitations.invite(workspace_id, body.email, body.role, actor=current_actor()))


@operation(
    bp,
    "GET",
    "/workspaces/<int:workspace_id>/invitations",
    summary="Invitations waiting for an answer",
    response=InvitationsOut,
)
def list_invitations(workspace_id: int):
    items = invitations.pending(workspace_id, actor=current_actor())
    return InvitationsOut(items=[InvitationOut.of(i) for i in items])


@operation(
    bp,
    "POST",
    "/workspaces/<int:workspace_id>/invitations/<int:invitation_id>/resend",
    summary="Mail a pending invitation again with a fresh link and seven more days (owner/admin)",
    response=IssuedOut,
    status=202,
    errors=(403, 409, 429),
)
def resend_invitation(workspace_id: int, invitation_id: int):
    return IssuedOut.issued(invitations.resend(workspace_id, invitation_id, actor=current_actor()))


@operation(
    bp,
    "DELETE",
    "/workspaces/<int:workspace_id>/invitations/<int:invitation_id>",
    summary="Revoke a pending invitation (owner/admin)",
    status=204,
    errors=(403, 409),
)
def revoke_invitation(workspace_id: int, invitation_id: int):
    invitations.revoke(workspace_id, invitation_id, actor=current_actor())
    return None, 204


@operation(
    bp,
    "POST",
    "/invitations/accept",
    summary="Join the workspace of an invitation sent to your address",
    body=AcceptIn,
    response=JoinedOut,
    errors=(403, 422),
)
def accept_invitation(body: AcceptIn):
    return JoinedOut.of(invitations.accept(body.token, actor=current_actor()))
