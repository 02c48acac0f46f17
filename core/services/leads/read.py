"""Leads as every door shows them: the lead with its person, account, tags, owner and allowed moves."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import db
from core.models import Lead, LeadStatus, SocialAccount, Target, User
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.leads import timeline as lead_timeline
from core.services.leads.pipeline import allowed_from
from core.services.leads.queries import LeadRow
from core.services.leads.timeline import TimelineEntry


@dataclass
class LeadView:
    lead: Lead
    target: Target
    account_username: str
    tags: list[str]
    owner: User | None

    @property
    def allowed_statuses(self) -> list[str]:
        return [s.value for s in allowed_from(LeadStatus(self.lead.status))]


@dataclass
class LeadDetail:
    view: LeadView
    timeline: list[TimelineEntry]


def _owners(ids: set[int]) -> dict[int, User]:
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def views_of(rows: list[LeadRow]) -> list[LeadView]:
    """A page of leads (from lead_queries.page) with their tags and owners, one query each."""
    tags = leads.tags_of([row.lead.id for row in rows])
    owners = _owners({row.lead.owner_user_id for row in rows if row.lead.owner_user_id})
    return [
        LeadView(r.lead, r.target, r.account_username, tags[r.lead.id], owners.get(r.lead.owner_user_id or 0))
        for r in rows
    ]


def view_of(lead: Lead) -> LeadView:
    """One lead a service just returned (it checked the actor) with its person, account, tags and owner."""
    target = db.session.get(Target, lead.target_id)
    account = db.session.get(SocialAccount, target.social_account_id)
    return views_of([LeadRow(lead, target, account.username)])[0]


def detail(lead_id: int, *, actor: Actor, workspace_id: int | None = None) -> LeadDetail:
    """A lead of the actor's (of `workspace_id` when given) with its timeline, oldest first; NotFound otherwise."""
    lead = leads.get(lead_id, actor=actor, workspace_id=workspace_id)
    return LeadDetail(view_of(lead), lead_timeline.timeline(lead.id, actor=actor))
