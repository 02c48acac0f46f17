"""What a button does, the same from Slack and Telegram: one core service call, the outcome in words.

Each returns the note to show on the card (a refusal in the service's own words) or None. A double
tap is harmless twice over: the card's approve key is taken once (by the state change it asks for),
and the services are idempotent (approving an approved DM, moving a lead to its status: no change).
"""

from __future__ import annotations

from core.errors import Conflict, Invalid, VistaFlowError
from core.models import ChatMessage
from core.services import leads
from core.services.actors import Actor
from core.services.chat import cards, dedupe
from core.services.outreach import dms

NO_TEMPLATE = "No default DM template is set for this workspace: pick a template."


def _approve_key(card_message: ChatMessage | None, target_id: int) -> str:
    # Slack card and Telegram message of one alert share the event key: one approval for both.
    return f"approve:{card_message.event_key}" if card_message else f"approve:target:{target_id}"


def approve(
    target_id: int, *, actor: Actor, card_message: ChatMessage | None, template_id: int | None = None
) -> str | None:
    """Approve the drafted DM, or send one from the default (or picked) template, under every check."""
    card = cards.build(target_id)
    if card is None or (card.closed and card.draft_dm_id is None):
        return None  # already approved, sent or not allowed: the refreshed card says which
    key = _approve_key(card_message, target_id)
    if not dedupe.first_time("card", key):
        return None
    try:
        if card.draft_dm_id is not None and template_id is None:
            dms.approve(card.draft_dm_id, actor=actor)
        else:
            chosen = template_id or card.default_template_id
            if chosen is None:
                dedupe.forget("card", key)
                return NO_TEMPLATE
            dms.send_now(target_id, actor=actor, template_id=chosen, idempotency_key=key)
            if card.draft_dm_id is not None:
                # The draft was replaced by the picked template; leave no stale draft in the queue.
                dms.skip(card.draft_dm_id, actor=actor, reason="replaced from chat by another template")
    except VistaFlowError as exc:
        dedupe.forget("card", key)  # refused: a later tap (after midnight, once reconnected) may succeed
        return _refusal(exc)
    return None


def skip(target_id: int, *, actor: Actor) -> str | None:
    """Set the drafted DM aside; without a draft there is nothing to send, so nothing changes."""
    card = cards.build(target_id)
    if card is None or card.draft_dm_id is None:
        return f"Skipped by {actor.label}" if card is not None and not card.closed else None
    try:
        dms.skip(card.draft_dm_id, actor=actor, reason="skipped from chat")
    except VistaFlowError as exc:
        return _refusal(exc)
    return None


def move_lead(target_id: int, status: str, *, actor: Actor) -> str | None:
    """Move the person's lead to `status`, making them a lead first if they are not one yet."""
    card = cards.build(target_id)
    if card is None:
        return None
    try:
        lead_id = card.lead_id
        if lead_id is None:
            lead_id = leads.create(card.workspace_id, target_id, actor=actor).id
        leads.change_status(lead_id, status, actor=actor)
    except VistaFlowError as exc:
        return _refusal(exc)
    return None


def _refusal(exc: VistaFlowError) -> str:
    """A business refusal becomes the card's note; no access (Forbidden, NotFound) is the door's to answer."""
    if isinstance(exc, Conflict | Invalid):
        return exc.message
    raise exc
