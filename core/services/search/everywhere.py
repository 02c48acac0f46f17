"""The top bar's search: people (username, name), leads (their person, notes) and what people wrote.

Substring and case-insensitive, the same on PostgreSQL (trigram indexes, migration 0022) and SQLite.
Each group is capped; its "all" link opens the list page filtered by the same `q`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.models import Interaction, Lead, Role, Target
from core.services.identity.access import require_role
from core.services.identity.actors import Actor
from core.text_search import MAX_QUERY, contains

PER_GROUP = 8


@dataclass
class Found:
    q: str
    people: list[Target] = field(default_factory=list)
    leads: list[tuple[Lead, Target]] = field(default_factory=list)
    messages: list[Interaction] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.people or self.leads or self.messages)


def clean(q: str | None) -> str:
    """The query as searched (trimmed, without a leading @); Invalid, naming `q`, when too long."""
    text = (q or "").strip()
    if len(text) > MAX_QUERY:
        raise Invalid(_("The search is too long."), fields={"q": _("At most %(max)s characters.", max=MAX_QUERY)})
    return text


def find(workspace_id: int, q: str | None, *, actor: Actor, per_group: int = PER_GROUP) -> Found:
    """What matches `q` in the workspace the actor is a member of; nothing for an empty query."""
    require_role(workspace_id, actor, Role.MEMBER)
    text = clean(q)
    found = Found(text)
    name = text.lstrip("@")
    if not name:
        return found
    found.people = list(
        db.session.scalars(
            select(Target)
            .where(Target.workspace_id == workspace_id, contains(name, Target.username, Target.display_name))
            .order_by(Target.score.desc(), Target.id.desc())
            .limit(per_group)
        )
    )
    found.leads = [
        (lead, target)
        for lead, target in db.session.execute(
            select(Lead, Target)
            .join(Target, Target.id == Lead.target_id)
            .where(
                Lead.workspace_id == workspace_id,
                contains(name, Target.username, Target.display_name, Lead.notes),
            )
            .order_by(Lead.updated_at.desc(), Lead.id.desc())
            .limit(per_group)
        )
    ]
    found.messages = list(
        db.session.scalars(
            select(Interaction)
            .where(Interaction.workspace_id == workspace_id, contains(text, Interaction.text))
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(per_group)
        )
    )
    return found
