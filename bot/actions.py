"""What a button does, the same from Slack and Telegram: one core service call, the outcome in words.

Each chat names its buttons its own way and maps them onto ACTIONS; `dispatch` runs one and refreshes
the person's cards. A refusal in the service's own words comes back as the card's note. A double
tap is harmless twice over: the card's approve key is taken once (by the state change it asks for),
and the services are idempotent (approving an approved DM, moving a lead to its status: no change).
"""

from __future__ import annotations

from bot.delivery import refresh_target
from core.errors import Conflict, Invalid, NotFound, VistaFlowError
from core.models import ChatMessage
from core.services import leads
from core.services.actors import Actor
from core.services.chat import cards, dedupe
from core.services.outreach import dms
from core.validation import whole_number

NO_TEMPLATE = "No default DM template is set for this workspace: pick a template."
UNKNOWN_BUTTON = "Unknown button."
NOT_HERE = "This person is not in this workspace."
APPROVE, TEMPLATE, SKIP, LEAD = "approve", "template", "skip", "lead"
ACTIONS = (APPROVE, TEMPLATE, SKIP, LEAD)


def button_number(value: str | None, field: str = "button") -> int:
    """A number carried by a button (target or template id); Invalid for anything else."""
    try:
        number = whole_number(value, field)
    except Invalid:
        number = None
    if number is None:
        raise Invalid(UNKNOWN_BUTTON, fields={field: "Not a button of this app."})
    return number


def card_for(target_id: int, *, actor: Actor, workspace_id: int, note: str | None = None) -> cards.Card:
    """The card of a person of the chat's workspace the actor may see (NotFound in words otherwise)."""
    try:
        return cards.build(target_id, actor=actor, workspace_id=workspace_id, note=note)
    except NotFound:
        raise NotFound(NOT_HERE) from None


def dispatch(
    action: str,
    target_id: int,
    extra: str | None,
    *,
    actor: Actor,
    workspace_id: int,
    card_message: ChatMessage | None,
) -> str | None:
    """Run one card button (one of ACTIONS) and refresh the person's cards; returns the note shown on them.

    Invalid for an unknown button or a garbled value, NotFound for a person outside the chat's
    workspace; a refusal the card can show (Conflict, Invalid from the service) is the note.
    """
    if action not in ACTIONS or (action in (TEMPLATE, LEAD) and not extra):
        raise Invalid(UNKNOWN_BUTTON, fields={"action": "Not a button of this app."})
    template_id = button_number(extra, "template") if action == TEMPLATE else None
    card = card_for(target_id, actor=actor, workspace_id=workspace_id)
    if action in (APPROVE, TEMPLATE):
        note = approve(card, actor=actor, card_message=card_message, template_id=template_id)
    elif action == SKIP:
        note = skip(card, actor=actor)
    else:
        note = move_lead(card, extra or "", actor=actor)
    refresh_target(target_id, note=note)
    return note


def _approve_key(card_message: ChatMessage | None, target_id: int) -> str:
    # Slack card and Telegram message of one alert share the event key: one approval for both.
    return f"approve:{card_message.event_key}" if card_message else f"approve:target:{target_id}"


def approve(
    card: cards.Card, *, actor: Actor, card_message: ChatMessage | None, template_id: int | None = None
) -> str | None:
    """Approve the drafted DM, or send one from the default (or picked) template, under every check."""
    if card.closed and card.draft_dm_id is None:
        return None  # already approved, sent or not allowed: the refreshed card says which
    key = _approve_key(card_message, card.target_id)
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
            dms.send_now(card.target_id, actor=actor, template_id=chosen, idempotency_key=key)
            if card.draft_dm_id is not None:
                # The draft was replaced by the picked template; leave no stale draft in the queue.
                dms.skip(card.draft_dm_id, actor=actor, reason="replaced from chat by another template")
    except VistaFlowError as exc:
        dedupe.forget("card", key)  # refused: a later tap (after midnight, once reconnected) may succeed
        return _refusal(exc)
    return None


def skip(card: cards.Card, *, actor: Actor) -> str | None:
    """Set the drafted DM aside; without a draft there is nothing to send, so nothing changes."""
    if card.draft_dm_id is None:
        return f"Skipped by {actor.label}" if not card.closed else None
    try:
        dms.skip(card.draft_dm_id, actor=actor, reason="skipped from chat")
    except VistaFlowError as exc:
        return _refusal(exc)
    return None


def move_lead(card: cards.Card, status: str, *, actor: Actor) -> str | None:
    """Move the person's lead to `status`, making them a lead first if they are not one yet."""
    try:
        lead_id = card.lead_id
        if lead_id is None:
            lead_id = leads.create(card.workspace_id, card.target_id, actor=actor).id
        leads.change_status(lead_id, status, actor=actor)
    except VistaFlowError as exc:
        return _refusal(exc)
    return None


def _refusal(exc: VistaFlowError) -> str:
    """A business refusal becomes the card's note; no access (Forbidden, NotFound) is the door's to answer."""
    if isinstance(exc, Conflict | Invalid):
        return exc.message
    raise exc
