"""Writing to a person from chat: a reply to the bot's message about them drafts the DM to confirm.

The teammate answers a card or a reply alert with the words to send; VistaFlow drafts that DM by the
sending rules (the window open now), sets the person's previous draft aside, and posts a fresh card
showing the drafted message with Approve and Skip: sending is that second, deliberate tap, at most
once, through the DM machinery.
"""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.models import DirectMessage, DmStatus
from core.services.chat import alerts, deliveries
from core.services.identity.actors import Actor
from core.services.outreach import dms

NOT_ABOUT_SOMEONE = _("Reply to a message about a person (a hot target card or a reply alert) to write to them.")


def draft_from_reply(
    provider: str, chat_id: str, replied_ref: str, text: str, *, actor: Actor, workspace_id: int
) -> int:
    """Draft `text` to the person the replied-to bot message is about; returns the new card to post.

    Invalid when the message is about nobody (or another workspace's chat message); the sending rules'
    refusals (window closed, opted out...) are raised as they are, nothing drafted.
    """
    about = deliveries.card_at(provider, str(chat_id), str(replied_ref))
    if about is None or about.target_id is None or about.workspace_id != workspace_id:
        raise Invalid(NOT_ABOUT_SOMEONE, fields={"reply_to_message": NOT_ABOUT_SOMEONE})
    previous = db.session.scalar(
        select(DirectMessage.id).where(
            DirectMessage.target_id == about.target_id, DirectMessage.status == DmStatus.DRAFT.value
        )
    )
    draft = dms.create_draft(about.target_id, actor=actor, text=text)
    if previous is not None:
        dms.skip(previous, actor=actor, reason="replaced by a message written in chat")
    destination = alerts.Destination(provider, str(chat_id))
    message_id = alerts.record(workspace_id, destination, "hot", f"reply:{draft.id}", target_id=about.target_id)
    db.session.commit()
    return message_id
