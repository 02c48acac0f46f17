"""Composing a DM for a person chosen by hand: the routes the sending rules open now (each with its
deadline), the workspace's templates filled for each route, and saving the result as a draft or
approving it at once. When no route is open, the composer says why and when one could open.

The routes come from `eligibility`, the very rules approving and sending re-check, so what the composer
offers can be sent. A route travels as a short key: `message`, or `comment:<platform comment id>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from core.db import db, utcnow
from core.errors import Invalid, NotFound
from core.i18n import _
from core.models import (
    AccountStatus,
    DirectMessage,
    DmKind,
    DmStatus,
    DmTemplate,
    Interaction,
    Platform,
    Role,
    SocialAccount,
    Target,
    Workspace,
)
from core.services.identity.access import get_scoped, membership_of, require_active, require_role
from core.services.identity.actors import Actor
from core.services.outreach import dms, eligibility, lifecycle, queueing, quota, templates
from core.services.outreach import settings as dm_settings
from core.services.outreach.eligibility import Ineligible, Route

MESSAGE_KEY = "message"
COMMENT_PREFIX = "comment:"
MAX_TEMPLATES = 200
# Approving (and so "Send now") is open to this role and above, from every door.
APPROVE_ROLE = Role.MEMBER


@dataclass
class RouteChoice:
    """One way to reach the person now, open until `until`."""

    key: str
    kind: str
    until: datetime
    comment: Interaction | None = None

    @property
    def label(self) -> str:
        if self.comment is None:
            return "Message within the 24 h window"
        text = " ".join((self.comment.text or "").split())
        excerpt = text if len(text) <= 60 else text[:59].rstrip() + "…"
        return f"Private reply to the comment “{excerpt}”" if excerpt else "Private reply to their comment"


@dataclass
class TemplateChoice:
    """A template of the workspace with its text filled for each route (None where it cannot be sent)."""

    template: DmTemplate
    texts: dict[str, str | None]
    problems: dict[str, str] = field(default_factory=dict)


@dataclass
class Closed:
    """Why no route is open now, and when one could open."""

    why: str
    when: str
    last_comment_until: datetime | None = None
    last_message_until: datetime | None = None


@dataclass
class Composer:
    target: Target
    account: SocialAccount
    routes: list[RouteChoice]
    templates: list[TemplateChoice]
    default_template_id: int | None
    can_send_now: bool
    closed: Closed | None

    @property
    def open(self) -> bool:
        return bool(self.routes)

    def text_for(self, template_id: int | None, route_key: str | None) -> str:
        """The filled text of a template for a route ('' when there is none)."""
        key = route_key or (self.routes[0].key if self.routes else None)
        for choice in self.templates:
            if choice.template.id == template_id and key is not None:
                return choice.texts.get(key) or ""
        return ""


def may_approve(workspace_id: int, actor: Actor) -> bool:
    """Whether the actor's role lets them approve DMs (and so send one now) in the workspace."""
    if actor.is_system:
        return True
    membership = membership_of(workspace_id, actor)
    return membership is not None and Role(membership.role).at_least(APPROVE_ROLE)


def open_routes(account: SocialAccount, target: Target, now: datetime | None = None) -> list[RouteChoice]:
    """The routes open to the person now, the one closing soonest first (none when the rules refuse)."""
    now = now or utcnow()
    try:
        eligibility.check_sender(account)
        eligibility.check_person(target)
    except Ineligible:
        return []
    routes = [
        RouteChoice(
            COMMENT_PREFIX + c.platform_id,
            DmKind.PRIVATE_REPLY.value,
            c.occurred_at + eligibility.PRIVATE_REPLY_WINDOW,
            c,
        )
        for c in eligibility.open_comments(target, now)
    ]
    if eligibility.message_window_open(target, now):
        until = target.last_inbound_message_at + eligibility.MESSAGE_WINDOW
        routes.append(RouteChoice(MESSAGE_KEY, DmKind.MESSAGE.value, until))
    return sorted(routes, key=lambda r: r.until)


def closed_reason(account: SocialAccount, target: Target, now: datetime | None = None) -> Closed:
    """Why no DM may go to the person now and what would open one (call when `open_routes` is empty)."""
    now = now or utcnow()
    if account.platform != Platform.INSTAGRAM.value:
        return Closed(
            "TikTok offers no way to send a DM to a commenter.",
            "Never for TikTok: follow this person up as a lead instead.",
        )
    try:
        eligibility.check_sender(account)
    except Ineligible as exc:
        what = "resumed" if account.status == AccountStatus.CONNECTED.value else "reconnected on the Accounts page"
        return Closed(exc.message, f"As soon as @{account.username} is {what}, if the person's window is still open.")
    try:
        eligibility.check_person(target)
    except Ineligible as exc:
        return Closed(exc.message, "Never: VistaFlow does not contact people who asked not to be contacted.")
    last_comment = db.session.scalar(
        select(func.max(Interaction.occurred_at)).where(
            Interaction.target_id == target.id, Interaction.kind.in_(eligibility.COMMENT_KINDS)
        )
    )
    last_message = target.last_inbound_message_at
    return Closed(
        _(
            "No comment of the last 7 days is left without a private reply, and the person has not messaged "
            "@%(account)s in the last 24 hours: Instagram allows no DM now.",
            account=account.username,
        ),
        _(
            "When they comment on a post of @%(account)s (a private reply is then possible for 7 days) "
            "or send @%(account)s a message (a reply is then possible for 24 hours).",
            account=account.username,
        ),
        last_comment_until=last_comment + eligibility.PRIVATE_REPLY_WINDOW if last_comment else None,
        last_message_until=last_message + eligibility.MESSAGE_WINDOW if last_message else None,
    )


def _template_choices(target: Target, account: SocialAccount, routes: list[RouteChoice]) -> list[TemplateChoice]:
    rows = db.session.scalars(
        select(DmTemplate)
        .where(DmTemplate.workspace_id == target.workspace_id)
        .order_by(DmTemplate.id)
        .limit(MAX_TEMPLATES)
    )
    values = {r.key: templates.values_for(target, account, r.comment) for r in routes}
    choices = []
    for template in rows:
        choice = TemplateChoice(template, {})
        for key, filled in values.items():
            try:
                choice.texts[key] = templates.render(template.body, filled)
            except Invalid as exc:
                choice.texts[key] = None
                choice.problems[key] = exc.message
        choices.append(choice)
    return choices


def view(target_id: int, *, actor: Actor, workspace_id: int | None = None, now: datetime | None = None) -> Composer:
    """Everything the composer shows for one person (NotFound if not the actor's)."""
    target = get_scoped(Target, target_id, actor, what="Target", workspace_id=workspace_id)
    account = db.session.get(SocialAccount, target.social_account_id)
    workspace = db.session.get(Workspace, target.workspace_id)
    routes = open_routes(account, target, now)
    default = dm_settings.template_for(workspace, target)
    return Composer(
        target=target,
        account=account,
        routes=routes,
        templates=_template_choices(target, account, routes),
        default_template_id=default.id if default else None,
        can_send_now=may_approve(workspace.id, actor),
        closed=None if routes else closed_reason(account, target, now),
    )


def parse_route(route: str | None) -> tuple[str | None, str | None]:
    """(kind, comment platform id) of a route key; (None, None) lets the rules choose."""
    if route is None or not route.strip():
        return None, None
    route = route.strip()
    if route == MESSAGE_KEY:
        return DmKind.MESSAGE.value, None
    if route.startswith(COMMENT_PREFIX) and len(route) > len(COMMENT_PREFIX):
        return DmKind.PRIVATE_REPLY.value, route[len(COMMENT_PREFIX) :]
    raise Invalid(_("Unknown route."), fields={"route": _("Use “message” or “comment:<commentId>”.")})


def _route(account: SocialAccount, target: Target, route: str | None) -> Route:
    kind, comment_id = parse_route(route)
    if kind == DmKind.MESSAGE.value:
        eligibility.check_sender(account)
        eligibility.check_person(target)
        if not eligibility.message_window_open(target):
            raise Ineligible(
                _(
                    "The person has not messaged @%(username)s in the last 24 hours; Instagram allows no message now.",
                    username=account.username,
                )
            )
        return Route(DmKind.MESSAGE.value)
    return eligibility.route_for(account, target, comment_platform_id=comment_id)


def _template(target: Target, template_id: int | None, actor: Actor) -> DmTemplate | None:
    if template_id is None:
        return None
    try:
        return get_scoped(DmTemplate, template_id, actor, what="Template", workspace_id=target.workspace_id)
    except NotFound:
        raise Invalid(_("Unknown template."), fields={"templateId": _("No such template in this workspace.")}) from None


def _written_for(target: Target) -> DmTemplate | None:
    return dm_settings.template_for(db.session.get(Workspace, target.workspace_id), target)


def _text(target: Target, account: SocialAccount, route: Route, template: DmTemplate | None, text: str | None) -> str:
    """The text as written (a template only records where it came from), else the template (or the
    workspace's default one) filled for the route."""
    # A text cleared on purpose is refused, never swapped for a template.
    if text is not None and text.strip():
        return templates.check_text(text)
    template = None if text is not None else template or _written_for(target)
    if template is None:
        raise Invalid(_("The message is empty."), fields={"text": _("Write the message or pick a template.")})
    return templates.render(template.body, templates.values_for(target, account, route.comment), field="text")


@dataclass
class Prepared:
    target: Target
    account: SocialAccount
    route: Route
    template: DmTemplate | None
    text: str


def _prepare(
    target_id: int,
    actor: Actor,
    workspace_id: int | None,
    template_id: int | None,
    text: str | None,
    route: str | None,
    role: Role = Role.MEMBER,
) -> Prepared:
    target = get_scoped(Target, target_id, actor, what="Target", workspace_id=workspace_id)
    require_role(target.workspace_id, actor, role)
    require_active(db.session.get(Workspace, target.workspace_id))
    account = db.session.get(SocialAccount, target.social_account_id)
    template = _template(target, template_id, actor)
    chosen = _route(account, target, route)
    return Prepared(target, account, chosen, template, _text(target, account, chosen, template, text))


def save_draft(
    target_id: int,
    *,
    actor: Actor,
    template_id: int | None = None,
    text: str | None = None,
    route: str | None = None,
    workspace_id: int | None = None,
) -> DirectMessage:
    """Save a DM to a person as a draft by an open route; it waits in the approval queue (commits once)."""
    p = _prepare(target_id, actor, workspace_id, template_id, text, route)
    dm = lifecycle.create(
        p.target,
        p.account,
        p.route,
        p.text,
        status=DmStatus.DRAFT,
        actor=actor,
        reason="drafted",
        template_id=p.template.id if p.template else None,
    )
    db.session.commit()
    return dm


def send_now(
    target_id: int,
    *,
    actor: Actor,
    template_id: int | None = None,
    text: str | None = None,
    route: str | None = None,
    workspace_id: int | None = None,
) -> DirectMessage:
    """Compose and approve a DM at once (roles that may approve); its send is queued after the commit."""
    p = _prepare(target_id, actor, workspace_id, template_id, text, route, role=APPROVE_ROLE)
    quota.ensure_room(p.account)
    dm = lifecycle.create(
        p.target,
        p.account,
        p.route,
        p.text,
        status=DmStatus.APPROVED,
        actor=actor,
        reason="sent now",
        template_id=p.template.id if p.template else None,
    )
    dms.mark_approved(dm, actor)
    dms.commit_live()
    queueing.send_later(dm.id, dm.workspace_id, requested_by=actor.user_id)
    return dm
