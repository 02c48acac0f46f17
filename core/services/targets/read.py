"""Reading targets: the scored list with filters and keyset pages, one target's detail, and the
DM options open for a person right now (or why there are none)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core import job_names
from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import _
from core.models import (
    Interaction,
    Platform,
    Role,
    SocialAccount,
    Target,
)
from core.pagination import Page, decode_cursor, paginate
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.outreach import eligibility
from core.services.targets.rescore import RescoreResult
from core.text_search import MAX_QUERY, contains

SORTS = ("score", "last_activity")
DETAIL_INTERACTIONS = 50


@dataclass
class TargetFilters:
    sort: str = "score"
    min_score: int | None = None
    hot_only: bool = False
    account_id: int | None = None
    platform: str | None = None
    q: str | None = None  # part of the username or display name


@dataclass
class PrivateReply:
    interaction_id: int
    comment_id: str
    text: str | None
    occurred_at: datetime
    until: datetime


@dataclass
class DmOptions:
    private_replies: list[PrivateReply] = field(default_factory=list)
    message_until: datetime | None = None
    unavailable_reason: str | None = None

    @property
    def available(self) -> bool:
        return bool(self.private_replies) or self.message_until is not None


def _check(filters: TargetFilters) -> None:
    fields: dict[str, str] = {}
    if filters.sort not in SORTS:
        fields["sort"] = "One of: score, last_activity."
    if filters.min_score is not None and not 0 <= filters.min_score <= 100:
        fields["min_score"] = "Between 0 and 100."
    if filters.platform is not None and filters.platform not in {p.value for p in Platform}:
        fields["platform"] = "One of: instagram, tiktok."
    if filters.q is not None and len(filters.q) > MAX_QUERY:
        fields["q"] = f"At most {MAX_QUERY} characters."
    if fields:
        raise Invalid(_("Some filters are not valid."), fields=fields)


def page(
    workspace_id: int, *, actor: Actor, filters: TargetFilters, cursor: str | None = None, limit: int | None = None
) -> Page:
    """A page of the workspace's targets, highest score (or latest activity) first."""
    require_role(workspace_id, actor, Role.MEMBER)
    _check(filters)
    stmt = select(Target).where(Target.workspace_id == workspace_id)
    if filters.min_score is not None:
        stmt = stmt.where(Target.score >= filters.min_score)
    if filters.hot_only:
        stmt = stmt.where(Target.is_hot.is_(True))
    if filters.account_id is not None:
        stmt = stmt.where(Target.social_account_id == filters.account_id)
    if filters.platform is not None:
        stmt = stmt.where(Target.platform == filters.platform)
    if filters.q and filters.q.strip().lstrip("@"):
        stmt = stmt.where(contains(filters.q.strip().lstrip("@"), Target.username, Target.display_name))
    keys = [Target.score, Target.id] if filters.sort == "score" else [Target.last_seen_at, Target.id]
    if cursor:
        # A cursor from the other sort would compare a date with a number: refuse it cleanly.
        first = decode_cursor(cursor, 2)[0]
        if isinstance(first, datetime) != (filters.sort == "last_activity"):
            raise Invalid(_("The cursor is not valid."), fields={"cursor": _("It belongs to another sort order.")})
    return paginate(stmt, keys, cursor=cursor, limit=limit, descending=True)


def get(target_id: int, *, actor: Actor, workspace_id: int | None = None) -> Target:
    """One target of a workspace the actor belongs to (of `workspace_id` when given; NotFound otherwise)."""
    return get_scoped(Target, target_id, actor, Role.MEMBER, what="Target", workspace_id=workspace_id)


@dataclass
class TargetDetail:
    target: Target
    interactions: list[Interaction]
    options: DmOptions


def detail(target_id: int, *, actor: Actor, workspace_id: int | None = None) -> TargetDetail:
    """One target with their latest interactions and the DM options open now (NotFound if not the actor's)."""
    target = get(target_id, actor=actor, workspace_id=workspace_id)
    return TargetDetail(target, interactions(target), dm_options(target))


def interactions(target: Target, limit: int = DETAIL_INTERACTIONS) -> list[Interaction]:
    """The person's latest interactions, newest first (`target` was loaded through `get`)."""
    stmt = (
        select(Interaction)
        .where(Interaction.target_id == target.id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def dm_options(target: Target, now: datetime | None = None) -> DmOptions:
    """Which DMs Instagram allows to this person now, each with its deadline, or why none."""
    # The very rules approving and sending re-check (outreach.eligibility): what is offered can be sent.
    now = now or utcnow()
    account = db.session.get(SocialAccount, target.social_account_id)
    try:
        eligibility.check_sender(account)
        eligibility.check_person(target)
    except eligibility.Ineligible as exc:
        return DmOptions(unavailable_reason=exc.message)
    options = DmOptions()
    if eligibility.message_window_open(target, now):
        options.message_until = target.last_inbound_message_at + eligibility.MESSAGE_WINDOW
    options.private_replies = [
        PrivateReply(c.id, c.platform_id, c.text, c.occurred_at, c.occurred_at + eligibility.PRIVATE_REPLY_WINDOW)
        for c in eligibility.open_comments(target, now)
    ]
    if not options.available:
        options.unavailable_reason = _(
            "No comment of the last 7 days is left without a private reply, and the person has not "
            "messaged in the last 24 hours."
        )
    return options


def request_rescore(workspace_id: int, *, actor: Actor, full: bool = True) -> tuple[Any, RescoreResult | None]:
    """Start a rescore job (runs now without Redis); returns the JobRun and, when done, its counts."""
    from core import jobs

    require_active(require_role(workspace_id, actor, Role.MEMBER))
    run = jobs.enqueue(
        job_names.RESCORE_WORKSPACE,
        workspace_id,
        full,
        kind="rescore",
        queue=jobs.QUEUE_DEFAULT,
        workspace_id=workspace_id,
        requested_by=actor.user_id,
    )
    if run.status == "finished" and run.result:
        counts = {
            k: int(run.result.get(k, 0)) for k in ("scored", "changed", "became_hot", "left_hot", "leads_created")
        }
        return run, RescoreResult(**counts)
    return run, None
