"""What a card's buttons do, the same from Slack and Telegram: each is one use case in one transaction.

Each returns the note the card shows (a refusal in the service's own words: Conflict, Invalid), or None;
no access (Forbidden, NotFound) is raised for the door to answer. A double tap is harmless twice over:
the card's approve key is taken in the transaction of the approval it asks for, and the services are
idempotent (approving an approved DM, moving a lead to its status: no change).
"""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.errors import Conflict, Forbidden, Invalid, VistaFlowError
from core.i18n import _
from core.models import Interaction
from core.services.chat import cards, dedupe
from core.services.conversations import threads
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.outreach import composer, dms
from core.services.reading import labels

NOT_APPROVER = _("Your role in this workspace may not approve DMs: ask an admin.")
ALREADY_HANDLED = _("Already handled: nothing was sent again.")
NO_TEMPLATE = _("No default DM template is set for this workspace: pick a template.")


def _refusal(exc: VistaFlowError) -> str:
    """A business refusal becomes the card's note; no access (Forbidden, NotFound) is the door's to answer."""
    db.session.rollback()
    if isinstance(exc, Conflict | Invalid):
        return exc.message
    raise exc


def approve(card: cards.Card, *, actor: Actor, event_key: str | None, template_id: int | None = None) -> str | None:
    """Approve the card's draft, or send from the default (or picked) template and set the draft aside.

    `event_key` is the alert's key shared by its Slack and Telegram messages (one approval for both).
    One transaction: the card's key, the DM and the set-aside draft are committed together or not at all.
    """
    if not composer.may_approve(card.workspace_id, actor):
        raise Forbidden(NOT_APPROVER)  # the door tells only the person who tapped
    if card.closed and card.draft_dm_id is None:
        # A double tap, or a stale card (sent from the console meanwhile): nothing goes twice, and the card says so.
        return ALREADY_HANDLED if card.dm_status else card.unavailable_reason
    key = f"approve:{event_key}" if event_key else f"approve:target:{card.target_id}"
    chosen = template_id or card.default_template_id
    if (card.draft_dm_id is None or template_id is not None) and chosen is None:
        return NO_TEMPLATE
    if not dedupe.claim("card", key):
        db.session.commit()
        return ALREADY_HANDLED  # a racing second tap: the first one is sending
    try:
        if card.draft_dm_id is not None and template_id is None:
            dms.approve(card.draft_dm_id, actor=actor)
        else:
            dms.send_now(
                card.target_id, actor=actor, template_id=chosen, idempotency_key=key, replaces=card.draft_dm_id
            )
    except VistaFlowError as exc:
        return _refusal(exc)  # rolled back with the key: a later tap (after midnight, reconnected) may succeed
    return None


def skip(card: cards.Card, *, actor: Actor) -> str | None:
    """Set the card's drafted DM aside; without a draft there is nothing to send, so nothing changes."""
    if card.draft_dm_id is None:
        return _("Skipped by %(who)s", who=actor.label) if not card.closed else None
    try:
        dms.skip(card.draft_dm_id, actor=actor, reason="skipped from chat")
    except VistaFlowError as exc:
        return _refusal(exc)
    return None


def move_lead(card: cards.Card, status: str, *, actor: Actor) -> str | None:
    """Move the person's lead to `status`, making them a lead first if needed, in one transaction."""
    try:
        leads.make_or_move(card.workspace_id, card.target_id, status, actor=actor)
    except VistaFlowError as exc:
        return _refusal(exc)
    return None


NO_CONVERSATION = _("No conversation with this person yet: nothing to assign or close.")


def assign_to_me(card: cards.Card, *, actor: Actor) -> str | None:
    """Take the person's conversation (the one with the card's account); one transaction."""
    if card.conversation_id is None:
        return NO_CONVERSATION
    try:
        threads.set_state(card.conversation_id, actor=actor, assignee_id=actor.user_id)
    except VistaFlowError as exc:
        return _refusal(exc)
    return None


def mark_done(card: cards.Card, *, actor: Actor) -> str | None:
    """Close the person's conversation (it opens again when they write); one transaction."""
    if card.conversation_id is None:
        return NO_CONVERSATION
    try:
        threads.set_state(card.conversation_id, actor=actor, state="done")
    except VistaFlowError as exc:
        return _refusal(exc)
    return None


TEACHABLE = ("not_buyer", "opt_out")
NOTHING_TO_TEACH = _("Nothing of this person reads as buying intent any more.")


def teach(card: cards.Card, label: str, *, actor: Actor) -> str | None:
    """Teach the reader from the card: "not_buyer" for the person's latest buying-intent interaction,
    "opt_out" for their latest interaction (they asked to stop: on the do-not-contact list at once)."""
    if label not in TEACHABLE:
        raise Invalid(_("Unknown button."), fields={"label": _("Not a button of this app.")})
    stmt = sa.select(Interaction.id).where(Interaction.target_id == card.target_id)
    if label == "not_buyer":
        stmt = stmt.where(Interaction.has_intent)
    interaction_id = db.session.scalar(stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(1))
    if interaction_id is None:
        return NOTHING_TO_TEACH
    try:
        labels.label_interaction(interaction_id, label, actor=actor, workspace_id=card.workspace_id)
    except VistaFlowError as exc:
        return _refusal(exc)
    if label == "opt_out":
        return _("%(who)s: asked to stop; on the do-not-contact list.", who=actor.label)
    return _("%(who)s: not a buyer; the reader learns it.", who=actor.label)
