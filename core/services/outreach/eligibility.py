"""Whether a DM may be sent to a person now, and which kind; every refusal says why in words.

Instagram: one private reply to a comment made in the last 7 days and not replied to yet, or a
message within 24 h of the person's last message. TikTok offers no DM. The account must be
connected and not paused; the person must not have opted out nor be on the do-not-contact list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from core.db import db, utcnow
from core.errors import Conflict
from core.models import (
    DM_CLAIMS_COMMENT,
    AccountStatus,
    DirectMessage,
    DmKind,
    Interaction,
    Platform,
    SocialAccount,
    Target,
)
from core.services import contact_policy

PRIVATE_REPLY_WINDOW = timedelta(days=7)
MESSAGE_WINDOW = timedelta(hours=24)
COMMENT_KINDS = ("comment", "reply")


class Ineligible(Conflict):
    """No DM may be sent to this person now; the message says why."""

    code = "not_eligible"


@dataclass
class Route:
    """How a DM reaches the person: a private reply to `comment`, or a message to their id."""

    kind: str
    comment: Interaction | None = None

    @property
    def comment_platform_id(self) -> str | None:
        return self.comment.platform_id if self.comment else None


def check_sender(account: SocialAccount) -> None:
    """The account side: platform, connection, pause."""
    if account.platform != Platform.INSTAGRAM.value:
        raise Ineligible("TikTok offers no way to send a DM to a commenter; DMs are not offered for TikTok.")
    if account.status == AccountStatus.NEEDS_RECONNECT.value:
        raise Ineligible(f"@{account.username} needs to be reconnected before it can send DMs.")
    if account.status != AccountStatus.CONNECTED.value:
        raise Ineligible(f"@{account.username} is disconnected.")
    if account.paused:
        raise Ineligible(f"@{account.username} is paused; resume it to send DMs.")


def check_person(target: Target) -> None:
    """The person side: opt-out and the do-not-contact list."""
    if target.opted_out_at is not None:
        raise Ineligible("This person asked not to be contacted (opt-out).")
    if contact_policy.is_blocked(target.workspace_id, target.platform, target.platform_user_id):
        raise Ineligible("This person is on the workspace's do-not-contact list.")


def message_window_open(target: Target, now: datetime | None = None) -> bool:
    last = target.last_inbound_message_at
    return last is not None and (now or utcnow()) - last < MESSAGE_WINDOW


def comment_claimed(account_id: int, comment_platform_id: str, *, except_dm: int | None = None) -> bool:
    stmt = select(DirectMessage.id).where(
        DirectMessage.social_account_id == account_id,
        DirectMessage.comment_platform_id == comment_platform_id,
        DirectMessage.status.in_(DM_CLAIMS_COMMENT),
    )
    if except_dm is not None:
        stmt = stmt.where(DirectMessage.id != except_dm)
    return db.session.scalar(stmt.limit(1)) is not None


def _comment(target: Target, comment_platform_id: str) -> Interaction:
    comment = db.session.scalar(
        select(Interaction).where(
            Interaction.social_account_id == target.social_account_id,
            Interaction.platform_id == comment_platform_id,
        )
    )
    if comment is None or comment.target_id != target.id or comment.kind not in COMMENT_KINDS:
        raise Ineligible("This comment is not one of this person's comments on the account.")
    return comment


def check_comment(comment: Interaction, *, now: datetime, except_dm: int | None = None) -> None:
    if now - comment.occurred_at > PRIVATE_REPLY_WINDOW:
        raise Ineligible("The comment is older than 7 days; Instagram allows a private reply only within 7 days.")
    if comment_claimed(comment.social_account_id, comment.platform_id, except_dm=except_dm):
        raise Ineligible("This comment already has its one private reply (sent or queued).")


def open_comments(target: Target, now: datetime) -> list[Interaction]:
    """The person's comments that may still get their one private reply (check_comment passes), newest first."""
    recent = db.session.scalars(
        select(Interaction)
        .where(
            Interaction.target_id == target.id,
            Interaction.kind.in_(COMMENT_KINDS),
            Interaction.occurred_at >= now - PRIVATE_REPLY_WINDOW,
        )
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    )
    still_open = []
    for comment in recent:
        try:
            check_comment(comment, now=now)
        except Ineligible:
            continue
        still_open.append(comment)
    return still_open


def route_for(
    account: SocialAccount, target: Target, *, comment_platform_id: str | None = None, now: datetime | None = None
) -> Route:
    """The way to reach `target` now, or Ineligible with the reason."""
    now = now or utcnow()
    check_sender(account)
    check_person(target)
    if comment_platform_id:
        comment = _comment(target, comment_platform_id)
        check_comment(comment, now=now)
        return Route(DmKind.PRIVATE_REPLY.value, comment)
    # A message while the 24 h window is open keeps the comment's one private reply unused.
    if message_window_open(target, now):
        return Route(DmKind.MESSAGE.value)
    recent = db.session.scalars(
        select(Interaction)
        .where(
            Interaction.target_id == target.id,
            Interaction.kind.in_(COMMENT_KINDS),
            Interaction.occurred_at >= now - PRIVATE_REPLY_WINDOW,
        )
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    )
    claimed = False
    for comment in recent:
        if comment_claimed(account.id, comment.platform_id):
            claimed = True
            continue
        return Route(DmKind.PRIVATE_REPLY.value, comment)
    if claimed:
        raise Ineligible(
            "Every comment of this person from the last 7 days already has its private reply, "
            "and they have not messaged the account in the last 24 hours."
        )
    raise Ineligible(
        "No comment in the last 7 days and no message in the last 24 hours: Instagram allows no DM to this person now."
    )


def recheck(dm: DirectMessage, account: SocialAccount, target: Target, *, now: datetime | None = None) -> None:
    """The rules again for an existing DM, just before approving or sending it."""
    now = now or utcnow()
    check_sender(account)
    check_person(target)
    if dm.kind == DmKind.PRIVATE_REPLY.value:
        check_comment(_comment(target, dm.comment_platform_id or ""), now=now, except_dm=dm.id)
    elif not message_window_open(target, now):
        raise Ineligible("The person's last message is more than 24 hours old; Instagram allows no message now.")
