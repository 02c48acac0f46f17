"""Reading a card's button, the same from Slack and Telegram: which use case, on whom, with what value.

Each chat names its buttons its own way and maps them onto ACTIONS; `dispatch` checks the button, runs
its use case (core/services/chat/card_actions.py, one transaction each) and refreshes the person's
cards with the note the use case returns.
"""

from __future__ import annotations

from core.errors import Invalid, NotFound
from core.i18n import _
from core.models import ChatMessage
from core.services.chat import card_actions, cards, deliveries
from core.services.chat.posting import refresh_target
from core.services.identity.actors import Actor
from core.validation import whole_number

UNKNOWN_BUTTON = _("Unknown button.")
NOT_HERE = _("This person is not in this workspace.")
APPROVE, TEMPLATE, SKIP, LEAD = "approve", "template", "skip", "lead"
ASSIGN, DONE, TEACH = "assign", "done", "teach"
ACTIONS = (APPROVE, TEMPLATE, SKIP, LEAD, ASSIGN, DONE, TEACH)


def button_number(value: str | None, field: str = "button") -> int:
    """A number carried by a button (target or template id); Invalid for anything else."""
    try:
        number = whole_number(value, field)
    except Invalid:
        number = None
    if number is None:
        raise Invalid(UNKNOWN_BUTTON, fields={field: _("Not a button of this app.")})
    return number


def card_for(
    target_id: int, *, actor: Actor, workspace_id: int, note: str | None = None, template_id: int | None = None
) -> cards.Card:
    """The card of a person of the chat's workspace the actor may see (NotFound in words otherwise)."""
    try:
        return cards.build(target_id, actor=actor, workspace_id=workspace_id, note=note, template_id=template_id)
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
    if action not in ACTIONS or (action in (TEMPLATE, LEAD, TEACH) and not extra):
        raise Invalid(UNKNOWN_BUTTON, fields={"action": _("Not a button of this app.")})
    template_id = button_number(extra, "template") if action == TEMPLATE else None
    card = card_for(target_id, actor=actor, workspace_id=workspace_id)
    if action in (APPROVE, TEMPLATE):
        event_key = deliveries.approval_key(card_message) if card_message else None
        note = card_actions.approve(card, actor=actor, event_key=event_key, template_id=template_id)
    elif action == SKIP:
        note = card_actions.skip(card, actor=actor)
    elif action == ASSIGN:
        note = card_actions.assign_to_me(card, actor=actor)
    elif action == DONE:
        note = card_actions.mark_done(card, actor=actor)
    elif action == TEACH:
        note = card_actions.teach(card, extra or "", actor=actor)
    else:
        note = card_actions.move_lead(card, extra or "", actor=actor)
    refresh_target(target_id, note=note)
    return note
