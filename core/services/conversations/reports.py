"""How fast and how often the team answers people who write: first-response time and reply rate.

A *turn* starts when a person writes (a DM, a story reply) while nothing of theirs is waiting, and
ends with the team's next message to them from the same account (sent from VistaFlow or from the
Instagram app). A turn's first-response time is that gap; the reply rate is answered turns over all
turns. Turns are counted where they started within the period; one still waiting counts as not
answered. Per member: who wrote the answer (the assignee of the conversation, for a turn not
answered yet); per account: the account the person wrote to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

import sqlalchemy as sa

from core.db import db
from core.models import Conversation, DirectMessage, Interaction, Role, SocialAccount, User
from core.services.identity.access import require_role
from core.services.identity.actors import Actor

# What a person writes in private (comments are answered by private reply, counted with DMs elsewhere).
INBOUND_KINDS = ("message", "story_reply", "story_mention")


@dataclass
class ResponseRow:
    """One member's or account's answers over the period."""

    key: int
    label: str
    answered: int = 0
    turns: int = 0
    gaps: list[timedelta] = field(default_factory=list, repr=False)

    @property
    def reply_rate(self) -> float | None:
        return self.answered / self.turns if self.turns else None

    @property
    def median_first_response(self) -> timedelta | None:
        return median(self.gaps) if self.gaps else None


@dataclass(frozen=True)
class Responses:
    by_member: list[ResponseRow]
    by_account: list[ResponseRow]

    @property
    def is_empty(self) -> bool:
        return not self.by_account


@dataclass(frozen=True)
class _Turn:
    account_id: int
    started_at: datetime
    answered_at: datetime | None
    member_id: int | None


def _turns(workspace_id: int, since: datetime, until: datetime) -> list[_Turn]:
    inbound = db.session.execute(
        sa.select(Interaction.social_account_id, Interaction.target_id, Interaction.occurred_at)
        .where(
            Interaction.workspace_id == workspace_id,
            Interaction.kind.in_(INBOUND_KINDS),
            Interaction.target_id.is_not(None),
            Interaction.occurred_at >= since,
            Interaction.occurred_at < until,
        )
        .order_by(Interaction.occurred_at)
    ).all()
    if not inbound:
        return []
    outbound = db.session.execute(
        sa.select(
            DirectMessage.social_account_id,
            DirectMessage.target_id,
            DirectMessage.sent_at,
            sa.func.coalesce(DirectMessage.created_by_user_id, DirectMessage.approved_by_user_id),
        )
        .where(DirectMessage.workspace_id == workspace_id, DirectMessage.sent_at >= since)
        .order_by(DirectMessage.sent_at)
    ).all()
    assignees = {
        (account_id, target_id): user_id
        for account_id, target_id, user_id in db.session.execute(
            sa.select(Conversation.social_account_id, Conversation.target_id, Conversation.assignee_user_id).where(
                Conversation.workspace_id == workspace_id
            )
        )
    }
    sent: dict[tuple[int, int], list[tuple[datetime, int | None]]] = defaultdict(list)
    for account_id, target_id, at, member_id in outbound:
        sent[(account_id, target_id)].append((at, member_id))
    turns: list[_Turn] = []
    open_until: dict[tuple[int, int], datetime | None] = {}
    for account_id, target_id, at in inbound:
        pair = (account_id, target_id)
        if pair in open_until and (open_until[pair] is None or open_until[pair] > at):
            continue  # the person writes again before being answered: the same turn
        answer = next(((t, m) for t, m in sent.get(pair, ()) if t > at), None)
        open_until[pair] = answer[0] if answer else None
        member = answer[1] if answer else assignees.get(pair)
        turns.append(_Turn(account_id, at, answer[0] if answer else None, member))
    return turns


def responses(workspace_id: int, *, actor: Actor, since: datetime, until: datetime) -> Responses:
    """First-response time and reply rate per member and per account, for turns started in [since, until)."""
    require_role(workspace_id, actor, Role.MEMBER)
    turns = _turns(workspace_id, since, until)
    accounts = dict(
        db.session.execute(
            sa.select(SocialAccount.id, SocialAccount.username).where(SocialAccount.workspace_id == workspace_id)
        ).all()
    )
    member_ids = {t.member_id for t in turns if t.member_id is not None}
    names = (
        dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(member_ids))).all())
        if member_ids
        else {}
    )
    by_member: dict[int, ResponseRow] = {}
    by_account: dict[int, ResponseRow] = {}
    for turn in turns:
        rows = [
            by_account.setdefault(
                turn.account_id, ResponseRow(turn.account_id, f"@{accounts.get(turn.account_id, '?')}")
            )
        ]
        if turn.member_id is not None:
            rows.append(
                by_member.setdefault(turn.member_id, ResponseRow(turn.member_id, names.get(turn.member_id, "?")))
            )
        for row in rows:
            row.turns += 1
            if turn.answered_at is not None:
                row.answered += 1
                row.gaps.append(turn.answered_at - turn.started_at)
    order = lambda row: (-row.turns, row.label)  # noqa: E731
    return Responses(sorted(by_member.values(), key=order), sorted(by_account.values(), key=order))
