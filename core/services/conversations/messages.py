"""Answering in a conversation: a DM through the at-most-once machinery of outreach, by the window open now."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.models import DmKind, DmStatus, SocialAccount, Target, Workspace
from core.services.conversations import threads
from core.services.identity.access import require_active
from core.services.identity.actors import Actor
from core.services.outreach import dms, eligibility, lifecycle, queueing, quota, templates
from core.services.outreach.eligibility import Route, Window


def route_of(window: Window, target: Target) -> Route:
    """The outreach route a conversation window maps to (a human-agent message is a tagged message)."""
    if window.route == DmKind.PRIVATE_REPLY.value:
        comment = eligibility.find_comment(target, window.comment_platform_id or "")
        return Route(DmKind.PRIVATE_REPLY.value, comment)
    return Route(DmKind.MESSAGE.value)


def send(conversation_id: int, *, actor: Actor, text: str, idempotency_key: str | None = None) -> dms.Sent:
    """Queue `text` to the person by the window open now, approved at once; sent at most once.

    A repeated Idempotency-Key answers the first DM (Invalid when it named another request); the
    refusals name the rule (window_closed, opted_out, person_unavailable, not_allowed_by_platform,
    quota_exceeded). Commits once, then queues the send.
    """
    conversation = threads.get(conversation_id, actor=actor)
    target = db.session.get(Target, conversation.target_id)
    account = db.session.get(SocialAccount, conversation.social_account_id)
    workspace = require_active(db.session.get(Workspace, conversation.workspace_id))
    if not isinstance(text, str) or not text.strip():
        raise Invalid(_("Write a message first."), fields={"text": _("Required.")})
    key = dms.stored_key(actor, idempotency_key) if idempotency_key is not None else None
    if key and (first := dms.by_key(workspace.id, key)) is not None:
        return dms.replay(first, target.id, None, text, None)
    window = eligibility.conversation_window(
        account,
        target,
        human_agent_allowed=threads.human_agent_allowed(workspace.id),
        written_by_person=not actor.is_system,
    )
    body = templates.check_text(text)
    quota.ensure_room(account)
    dm = lifecycle.create(
        target,
        account,
        route_of(window, target),
        body,
        status=DmStatus.APPROVED,
        actor=actor,
        reason="answered in the conversation",
        idempotency_key=key,
        message_tag=window.tag,
    )
    dms.mark_approved(dm, actor)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if key and (first := dms.by_key(workspace.id, key)) is not None:
            return dms.replay(first, target.id, None, text, None)
        raise eligibility.Ineligible(dms.COMMENT_TAKEN) from None
    queueing.send_later(dm.id, dm.workspace_id, requested_by=actor.user_id)
    return dms.Sent(dm, replayed=False)
