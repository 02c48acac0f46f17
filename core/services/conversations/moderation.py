"""Public replies to comments and hiding them: the comment tools of the conversation.

Instagram allows a public reply only under a visible top-level comment (`POST /{comment-id}/replies`),
and hides or unhides a comment on the account's media (`POST /{comment-id}?hide=`). TikTok's Business
API offers neither here. The call is made while the person waits (it is one request, never retried);
the result is stored on the interaction and audited.
"""

from __future__ import annotations

from core.db import db
from core.errors import Unavailable
from core.i18n import _
from core.models import Interaction, Platform, Role, SocialAccount, Workspace
from core.platforms import PlatformError, RateLimited, TokenExpired
from core.services import audit
from core.services.accounts import connected
from core.services.identity.access import get_scoped, require_active
from core.services.identity.actors import Actor
from core.services.outreach import eligibility, templates

COMMENT_KINDS = ("comment", "reply")


def _comment(interaction_id: int, actor: Actor, workspace_id: int | None) -> tuple[Interaction, SocialAccount]:
    interaction = get_scoped(
        Interaction, interaction_id, actor, Role.MEMBER, what="Interaction", workspace_id=workspace_id
    )
    require_active(db.session.get(Workspace, interaction.workspace_id))
    account = db.session.get(SocialAccount, interaction.social_account_id)
    if account.platform != Platform.INSTAGRAM.value:
        raise eligibility.NotAllowedByPlatform(_("TikTok's API offers no public reply or hiding from VistaFlow."))
    if interaction.kind not in COMMENT_KINDS:
        raise eligibility.NotAllowedByPlatform(_("Only a comment can be answered in public or hidden."))
    return interaction, account


def _call(account: SocialAccount, action):
    client = connected.client_for(account)
    try:
        return action(client)
    except TokenExpired as exc:
        connected.mark_needs_reconnect(account, f"Instagram refused the token ({exc.message}).", actor=Actor.system())
        db.session.commit()
        raise eligibility.NotAllowedByPlatform(
            _("@%(username)s must be reconnected.", username=account.username)
        ) from None
    except RateLimited as exc:
        raise Unavailable(
            _("Instagram asks to slow down; try again in %(seconds)s s.", seconds=int(exc.retry_after) + 1)
        ) from None
    except PlatformError as exc:
        raise eligibility.NotAllowedByPlatform(_("Instagram refused: %(reason)s", reason=exc.message)) from None
    finally:
        close = getattr(client, "close", None)
        if close:
            close()


def reply_in_public(interaction_id: int, *, actor: Actor, text: str, workspace_id: int | None = None) -> str:
    """Answer a top-level comment under it, in public; returns the reply's platform id (commits)."""
    comment, account = _comment(interaction_id, actor, workspace_id)
    body = templates.check_text(text)
    if comment.parent_platform_id or comment.kind != "comment":
        raise eligibility.NotAllowedByPlatform(_("Instagram allows public replies only to top-level comments."))
    if comment.is_hidden:
        raise eligibility.NotAllowedByPlatform(_("This comment is hidden; Instagram allows no reply to it."))
    reply_id = _call(account, lambda client: client.reply_to_comment(comment.platform_id, body))
    audit.record(
        actor,
        "comment.replied",
        workspace_id=comment.workspace_id,
        subject_type="interaction",
        subject_id=comment.id,
        details={"reply_platform_id": reply_id},
    )
    db.session.commit()
    return reply_id


def set_hidden(interaction_id: int, *, actor: Actor, hidden: bool, workspace_id: int | None = None) -> Interaction:
    """Hide or unhide a comment on Instagram and record it (commits)."""
    comment, account = _comment(interaction_id, actor, workspace_id)
    _call(account, lambda client: client.set_comment_hidden(comment.platform_id, hidden))
    comment.is_hidden = hidden
    audit.record(
        actor,
        "comment.hidden" if hidden else "comment.unhidden",
        workspace_id=comment.workspace_id,
        subject_type="interaction",
        subject_id=comment.id,
    )
    db.session.commit()
    return comment
