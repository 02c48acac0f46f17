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
from core.i18n import _
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
from core.services.privacy import contact_policy

PRIVATE_REPLY_WINDOW = timedelta(days=7)
MESSAGE_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"
COMMENT_KINDS = ("comment", "reply")


class Ineligible(Conflict):
    """No DM may be sent to this person now; the message says why."""

    code = "not_eligible"


class WindowClosed(Ineligible):
    """No Instagram window is open for this person now; the message names the next possible route."""

    code = "window_closed"
    status = 422


class OptedOut(Ineligible):
    """The person asked not to be contacted, or is on the do-not-contact list."""

    code = "opted_out"
    status = 422


class PersonUnavailable(Ineligible):
    """Instagram said the person cannot receive messages from the account (error 551)."""

    code = "person_unavailable"
    status = 422


class NotAllowedByPlatform(Ineligible):
    """The platform offers no way to do this (TikTok DMs), or the account cannot send right now."""

    code = "not_allowed_by_platform"
    status = 422


@dataclass(frozen=True)
class Window:
    """An open way to write to the person: `route` is private_reply, message or human_agent."""

    route: str
    until: datetime
    comment_platform_id: str | None = None
    tag: str | None = None


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
        raise Ineligible(_("TikTok offers no way to send a DM to a commenter; DMs are not offered for TikTok."))
    if account.status == AccountStatus.NEEDS_RECONNECT.value:
        raise Ineligible(_("@%(username)s needs to be reconnected before it can send DMs.", username=account.username))
    if account.status != AccountStatus.CONNECTED.value:
        raise Ineligible(_("@%(username)s is disconnected.", username=account.username))
    if account.paused:
        raise Ineligible(_("@%(username)s is paused; resume it to send DMs.", username=account.username))


def check_person(target: Target) -> None:
    """The person side: opt-out, the do-not-contact list, and Instagram's "not available" (551)."""
    if target.unavailable_at is not None:
        raise Ineligible(_("Instagram says this person cannot receive messages from the account."))
    if target.opted_out_at is not None:
        raise Ineligible(_("This person asked not to be contacted (opt-out)."))
    if contact_policy.is_blocked(target.workspace_id, target.platform, target.platform_user_id):
        raise Ineligible(_("This person is on the workspace's do-not-contact list."))


def open_windows(
    account: SocialAccount, target: Target, *, human_agent_allowed: bool, now: datetime | None = None
) -> list[Window]:
    """Every window open now, the widest-reaching first; empty when the person or the account refuses any."""
    now = now or utcnow()
    windows = []
    last = target.last_inbound_message_at
    if message_window_open(target, now) and last is not None:
        windows.append(Window(DmKind.MESSAGE.value, last + MESSAGE_WINDOW))
    for comment in open_comments(target, now):
        windows.append(
            Window(DmKind.PRIVATE_REPLY.value, comment.occurred_at + PRIVATE_REPLY_WINDOW, comment.platform_id)
        )
    if human_agent_allowed and last is not None and now - last < HUMAN_AGENT_WINDOW:
        windows.append(Window("human_agent", last + HUMAN_AGENT_WINDOW, tag=HUMAN_AGENT_TAG))
    return windows


def conversation_window(
    account: SocialAccount,
    target: Target,
    *,
    human_agent_allowed: bool,
    written_by_person: bool,
    now: datetime | None = None,
) -> Window:
    """The route a message written now in a conversation takes, or a coded refusal naming the rule.

    The 24 h message window comes first, then the one private reply of a recent comment, then (only
    where Meta granted the permission and only for a message a person writes) the HUMAN_AGENT tag.
    """
    now = now or utcnow()
    if account.platform != Platform.INSTAGRAM.value:
        raise NotAllowedByPlatform(
            _("TikTok offers no way to send a DM to a commenter; DMs are not offered for TikTok.")
        )
    try:
        check_sender(account)
    except Ineligible as exc:
        raise NotAllowedByPlatform(exc.message) from None
    if target.unavailable_at is not None:
        raise PersonUnavailable(_("Instagram says this person cannot receive messages from the account."))
    try:
        check_person(target)
    except Ineligible as exc:
        raise OptedOut(exc.message) from None
    windows = open_windows(account, target, human_agent_allowed=human_agent_allowed, now=now)
    usable = [w for w in windows if w.route != "human_agent" or written_by_person]
    if usable:
        return usable[0]
    last = target.last_inbound_message_at
    if windows:
        raise WindowClosed(
            "The 24-hour window is closed; a human-agent reply is open only for a message a person writes, "
            "never an automation."
        )
    if last is not None and now - last < HUMAN_AGENT_WINDOW:
        raise WindowClosed(
            "The 24-hour window closed; a human-agent reply (7 days) needs Meta's human-agent permission for "
            "this workspace. Otherwise the person has to write first."
        )
    raise WindowClosed(
        "No message from this person in the last 24 hours and no comment awaiting its private reply: "
        "Instagram allows no message now. The next route opens when they write or comment again."
    )


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


def find_comment(target: Target, comment_platform_id: str) -> Interaction:
    """One of the person's comments on the account by its platform id, or Ineligible."""
    return _comment(target, comment_platform_id)


def _comment(target: Target, comment_platform_id: str) -> Interaction:
    comment = db.session.scalar(
        select(Interaction).where(
            Interaction.social_account_id == target.social_account_id,
            Interaction.platform_id == comment_platform_id,
        )
    )
    if comment is None or comment.target_id != target.id or comment.kind not in COMMENT_KINDS:
        raise Ineligible(_("This comment is not one of this person's comments on the account."))
    return comment


def check_comment(comment: Interaction, *, now: datetime, except_dm: int | None = None) -> None:
    if now - comment.occurred_at > PRIVATE_REPLY_WINDOW:
        raise Ineligible(_("The comment is older than 7 days; Instagram allows a private reply only within 7 days."))
    if comment_claimed(comment.social_account_id, comment.platform_id, except_dm=except_dm):
        raise Ineligible(_("This comment already has its one private reply (sent or queued)."))


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
            _(
                "Every comment of this person from the last 7 days already has its private reply, "
                "and they have not messaged the account in the last 24 hours."
            )
        )
    raise Ineligible(
        _(
            "No comment in the last 7 days and no message in the last 24 hours: "
            "Instagram allows no DM to this person now."
        )
    )


def recheck(dm: DirectMessage, account: SocialAccount, target: Target, *, now: datetime | None = None) -> None:
    """The rules again for an existing DM, just before approving or sending it."""
    now = now or utcnow()
    check_sender(account)
    check_person(target)
    if dm.kind == DmKind.PRIVATE_REPLY.value:
        check_comment(_comment(target, dm.comment_platform_id or ""), now=now, except_dm=dm.id)
    elif dm.message_tag == HUMAN_AGENT_TAG:
        last = target.last_inbound_message_at
        if last is None or now - last >= HUMAN_AGENT_WINDOW:
            raise WindowClosed(
                _("The person's last message is more than 7 days old; even a human agent cannot answer.")
            )
    elif not message_window_open(target, now):
        raise Ineligible(_("The person's last message is more than 24 hours old; Instagram allows no message now."))
