"""What a hot target card shows, read from the current state, so re-rendering a card is always right."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import db
from core.errors import Invalid, VistaFlowError
from core.i18n import _
from core.models import (
    Conversation,
    DirectMessage,
    DmKind,
    DmStatus,
    DmTemplate,
    Lead,
    SocialAccount,
    Target,
    User,
    Workspace,
)
from core.services.identity.access import get_scoped
from core.services.identity.actors import Actor
from core.services.outreach import dms, eligibility, lifecycle, quota, templates
from core.services.outreach.settings import template_for
from core.services.targets import calibration
from core.services.targets import read as targets

MAX_REASONS = 3
PLATFORM_NAMES = {"instagram": "Instagram", "tiktok": "TikTok"}
MAX_TEMPLATES = 10


@dataclass
class Card:
    workspace_id: int
    workspace_name: str
    target_id: int
    username: str
    platform: str
    account_username: str
    score: int
    reasons: list[str]
    last_comment: str | None
    post_url: str | None
    lead_id: int | None
    lead_status: str | None
    draft_dm_id: int | None
    dm_status: str | None
    outcome: str | None
    dm_offered: bool
    default_template_id: int | None
    templates: list[tuple[int, str]] = field(default_factory=list)
    unavailable_reason: str | None = None
    note: str | None = None
    # What the drafted DM says: shown on the card, so an approval is of a message the person has read.
    draft_text: str | None = None
    # The person's conversation with the account, assigned and closed from the card too.
    conversation_id: int | None = None
    conversation_state: str | None = None
    assignee: str | None = None
    # "4" of "likely to reply: 4 in 10", once the workspace's score is calibrated on its outcomes.
    likely_to_reply: int | None = None
    # What Approve sends when there is no draft: the default template, rendered for this person.
    preview_text: str | None = None
    # How it goes: "private_reply" (to `route_comment`) or "message", possible until `route_until`.
    route_kind: str | None = None
    route_comment: str | None = None
    route_until: datetime | None = None
    quota_left: int | None = None
    time_zone: str = "UTC"
    # The text of the DM that went (or is going), once approved.
    sent_text: str | None = None
    # A template picked in the chat to look at before approving: `preview_text` is then its text.
    chosen_template_id: int | None = None
    chosen_template_name: str | None = None

    @property
    def closed(self) -> bool:
        """No DM action is left on the card (sent, in flight, or not allowed)."""
        return self.dm_status in (DmStatus.APPROVED, DmStatus.SENDING, DmStatus.SENT, DmStatus.UNKNOWN) or (
            not self.dm_offered and self.draft_dm_id is None
        )


def _local(moment: datetime | None, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M") if moment else "?"


def _who(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return f"@{user.name}" if user else "VistaFlow"


def outcome_of(dm: DirectMessage | None, zone: str, platform: str = "instagram") -> str | None:
    """The DM's state in words, as the card shows it ("DM sent by @member at 14:02")."""
    if dm is None:
        return None
    who = _who(dm.approved_by_user_id)
    match dm.status:
        case DmStatus.SENT:
            return _("DM sent by %(who)s at %(time)s", who=who, time=_local(dm.sent_at, zone))
        case DmStatus.APPROVED | DmStatus.SENDING:
            when = _local(dm.approved_at, zone)
            if dm.status_reason and dm.status_reason != "sent now":
                return _(
                    "DM approved by %(who)s at %(time)s, sending… (%(reason)s)",
                    who=who,
                    time=when,
                    reason=dm.status_reason,
                )
            return _("DM approved by %(who)s at %(time)s, sending…", who=who, time=when)
        case DmStatus.UNKNOWN:
            # The platform never answered: only its own inbox tells whether the person got it.
            return _(
                "DM outcome unknown: check the conversation in %(platform)s before sending again",
                platform=PLATFORM_NAMES.get(platform, platform),
            )
        case DmStatus.FAILED:
            return _("DM failed: %(reason)s", reason=dm.status_reason or _("the platform refused it"))
        case DmStatus.SKIPPED:
            return _("Skipped by %(who)s", who=_who(_last_actor(dm.id)))
        case DmStatus.CANCELLED:
            return _("DM cancelled: %(reason)s", reason=dm.status_reason or _("withdrawn"))
    return None


def _last_actor(dm_id: int) -> int | None:
    events = lifecycle.events_of(dm_id)
    return events[-1].actor_user_id if events else None


def build(
    target_id: int,
    *,
    actor: Actor,
    workspace_id: int | None = None,
    note: str | None = None,
    template_id: int | None = None,
) -> Card:
    """The card of a target the actor may see (NotFound otherwise; `workspace_id` pins the chat's workspace).

    With `template_id` (a template of the workspace, else Invalid), the card previews that template
    rendered for the person, as "Approve with this template" would send it.
    """
    target = get_scoped(Target, target_id, actor, what="Target", workspace_id=workspace_id)
    workspace = db.session.get(Workspace, target.workspace_id)
    account = db.session.get(SocialAccount, target.social_account_id)
    comment = templates.latest_comment(target)
    latest = db.session.scalar(
        select(DirectMessage).where(DirectMessage.target_id == target.id).order_by(DirectMessage.id.desc()).limit(1)
    )
    draft = latest if latest is not None and latest.status == DmStatus.DRAFT else None
    lead = db.session.scalar(select(Lead).where(Lead.target_id == target.id))
    default = template_for(workspace, target)
    chosen = _template_of(workspace.id, template_id) if template_id is not None else None
    rows = db.session.execute(
        select(DmTemplate.id, DmTemplate.name)
        .where(DmTemplate.workspace_id == workspace.id)
        .order_by(DmTemplate.name)
        .limit(MAX_TEMPLATES)
    )
    options = targets.dm_options(target)
    way = _route(account, target, options)
    preview, why_not = _preview(target, account, way, chosen or (None if draft else default), actor)
    conversation = db.session.scalar(
        select(Conversation).where(
            Conversation.target_id == target.id, Conversation.social_account_id == target.social_account_id
        )
    )
    return Card(
        workspace_id=workspace.id,
        workspace_name=workspace.name,
        target_id=target.id,
        username=target.username or target.platform_user_id,
        platform=target.platform,
        account_username=account.username if account else "?",
        score=target.score,
        reasons=list(target.score_reasons or [])[:MAX_REASONS],
        last_comment=(comment.text if comment else None),
        post_url=(comment.media_permalink if comment else None),
        lead_id=lead.id if lead else None,
        lead_status=lead.status if lead else None,
        draft_dm_id=draft.id if draft else None,
        dm_status=None if draft else (latest.status if latest else None),
        outcome=None if draft else outcome_of(latest, workspace.time_zone, target.platform),
        dm_offered=options.available,
        default_template_id=default.id if default else None,
        templates=[(row.id, row.name) for row in rows],
        unavailable_reason=None if options.available else options.unavailable_reason,
        note=note or (why_not if chosen else None),
        draft_text=draft.text if draft else None,
        conversation_id=conversation.id if conversation else None,
        conversation_state=conversation.state if conversation else None,
        assignee=_who(conversation.assignee_user_id) if conversation and conversation.assignee_user_id else None,
        likely_to_reply=calibration.likely_to_reply(workspace.settings, target.score),
        preview_text=preview,
        route_kind=way.route.kind if way else None,
        route_comment=way.route.comment.text if way and way.route.comment is not None else None,
        route_until=way.until if way else None,
        quota_left=quota.usage(workspace, [account])[0].remaining if account else None,
        time_zone=workspace.time_zone,
        sent_text=latest.text if latest is not None and latest.status in SENT_OR_GOING else None,
        chosen_template_id=chosen.id if chosen else None,
        chosen_template_name=chosen.name if chosen else None,
    )


UNKNOWN_TEMPLATE = _("Unknown template.")


def _template_of(workspace_id: int, template_id: int) -> DmTemplate:
    template = db.session.get(DmTemplate, template_id)
    if template is None or template.workspace_id != workspace_id:
        raise Invalid(UNKNOWN_TEMPLATE, fields={"template": _("No such template in this workspace.")})
    return template


@dataclass(frozen=True)
class Choice:
    """One template as the chat lists it: its text rendered for the person, or why it cannot be sent."""

    template_id: int
    name: str
    text: str | None
    reason: str | None


def choices(card: Card, *, actor: Actor) -> list[Choice]:
    """The card's templates, each rendered for the person by the route Approve would take now."""
    target = db.session.get(Target, card.target_id)
    account = db.session.get(SocialAccount, target.social_account_id)
    way = _route(account, target, targets.dm_options(target))
    listed = []
    for template_id, name in card.templates:
        text, why_not = _preview(target, account, way, db.session.get(DmTemplate, template_id), actor)
        listed.append(Choice(template_id, name, text, why_not))
    return listed


SENT_OR_GOING = (DmStatus.APPROVED.value, DmStatus.SENDING.value, DmStatus.SENT.value, DmStatus.UNKNOWN.value)


@dataclass(frozen=True)
class _Way:
    route: eligibility.Route
    until: datetime


def _route(account: SocialAccount | None, target: Target, options) -> _Way | None:
    """The way a DM would go now, by the sending rules, and until when; None when there is none."""
    if account is None or not options.available:
        return None
    try:
        route = eligibility.route_for(account, target)
    except VistaFlowError:
        return None
    if route.kind == DmKind.PRIVATE_REPLY.value and route.comment is not None:
        return _Way(route, route.comment.occurred_at + eligibility.PRIVATE_REPLY_WINDOW)
    if options.message_until is not None:
        return _Way(route, options.message_until)
    return None


def _preview(
    target: Target, account: SocialAccount | None, way: _Way | None, template: DmTemplate | None, actor: Actor
) -> tuple[str | None, str | None]:
    """(text, None) of a template rendered for the person exactly as Approve would send it, or (None, why not)."""
    if template is None:
        return None, None
    if way is None or account is None:
        return None, _("No DM can be sent to this person now.")
    try:
        return dms.compose(target, account, way.route, template_id=template.id, text=None, actor=actor), None
    except VistaFlowError as exc:
        return None, exc.message
