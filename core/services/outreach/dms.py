"""The DM lifecycle a person drives: draft, edit, approve, skip, cancel, send now, and the history."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.errors import Conflict, Invalid, NotFound
from core.i18n import _
from core.models import DirectMessage, DmStatus, DmTemplate, Interaction, SocialAccount, Target, Workspace
from core.pagination import Page, paginate
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.outreach import eligibility, lifecycle, queueing, quota, templates
from core.services.outreach.eligibility import Ineligible, Route
from core.text_search import MAX_QUERY, contains

ALREADY_LIVE = (DmStatus.APPROVED.value, DmStatus.SENDING.value, DmStatus.SENT.value, DmStatus.UNKNOWN.value)
COMMENT_TAKEN = _("This comment already has its one private reply (sent or queued).")


def _parts(target: Target) -> tuple[SocialAccount, Workspace]:
    account = db.session.get(SocialAccount, target.social_account_id)
    return account, db.session.get(Workspace, target.workspace_id)


def compose(
    target: Target, account: SocialAccount, route: Route, *, template_id: int | None, text: str | None, actor: Actor
) -> str:
    """The DM's final text, from a template of the workspace or given as is."""
    if (template_id is None) == (text is None):
        raise Invalid(
            _("Give either a template or a text."), fields={"templateId": _("Give templateId or text, not both.")}
        )
    if text is not None:
        return templates.check_text(text)
    try:
        template = get_scoped(DmTemplate, template_id, actor, what="Template", workspace_id=target.workspace_id)
    except NotFound:
        raise Invalid(_("Unknown template."), fields={"templateId": _("No such template in this workspace.")}) from None
    return templates.render(template.body, templates.values_for(target, account, route.comment))


def mark_approved(dm: DirectMessage, actor: Actor) -> None:
    """Record who approved `dm`, from which door and when (no commit)."""
    dm.approved_by_user_id = actor.user_id
    dm.approved_via = actor.door.value
    dm.approved_at = utcnow()


def create_draft(
    target_id: int,
    *,
    actor: Actor,
    template_id: int | None = None,
    text: str | None = None,
    comment_id: str | None = None,
) -> DirectMessage:
    """Suggest a DM to a person; it waits in the approval queue."""
    target = get_scoped(Target, target_id, actor, what="Target")
    account, workspace = _parts(target)
    require_active(workspace)
    route = eligibility.route_for(account, target, comment_platform_id=comment_id)
    body = compose(target, account, route, template_id=template_id, text=text, actor=actor)
    dm = lifecycle.create(
        target, account, route, body, status=DmStatus.DRAFT, actor=actor, reason="drafted", template_id=template_id
    )
    db.session.commit()
    return dm


def commit_live() -> None:
    """Commit a DM that claims its comment; a concurrent claim of the same comment is Ineligible."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Ineligible(COMMENT_TAKEN) from None


def approve(dm_id: int, *, actor: Actor, text: str | None = None, workspace_id: int | None = None) -> DirectMessage:
    """Approve a draft (optionally with edited text) and queue its sending; idempotent when already approved."""
    dm = lifecycle.load(dm_id, actor, for_update=True, workspace_id=workspace_id)
    if dm.status in ALREADY_LIVE:
        if text is not None and text.strip() != dm.text:
            raise Conflict(_("This DM is already %(status)s; its text can no longer change.", status=dm.status))
        db.session.commit()  # a double tap changes nothing and queues nothing
        return dm
    if dm.status != DmStatus.DRAFT.value:
        raise Conflict(_("This DM is %(status)s; only a draft can be approved.", status=dm.status))
    target = db.session.get(Target, dm.target_id)
    account, workspace = _parts(target)
    require_active(workspace)
    if text is not None and text.strip() != dm.text:
        dm.text = templates.check_text(text)
        lifecycle.move(dm, DmStatus.DRAFT, actor, "text edited")
    eligibility.recheck(dm, account, target)
    quota.ensure_room(account)
    lifecycle.move(dm, DmStatus.APPROVED, actor)
    mark_approved(dm, actor)
    commit_live()
    queueing.send_later(dm.id, dm.workspace_id, requested_by=actor.user_id)
    return dm


def edit(dm_id: int, *, actor: Actor, text: str) -> DirectMessage:
    """Change the text of a draft."""
    dm = lifecycle.load(dm_id, actor, for_update=True)
    require_active(db.session.get(Workspace, dm.workspace_id))
    if dm.status != DmStatus.DRAFT.value:
        raise Conflict(_("This DM is %(status)s; only a draft can be edited.", status=dm.status))
    dm.text = templates.check_text(text)
    lifecycle.move(dm, DmStatus.DRAFT, actor, "text edited")
    db.session.commit()
    return dm


def _set_aside(dm_id: int, actor: Actor, reason: str) -> None:
    # A draft that moved on meanwhile (approved, sent, cancelled) is left as it is.
    dm = lifecycle.load(dm_id, actor, for_update=True)
    if dm.status == DmStatus.DRAFT.value:
        lifecycle.move(dm, DmStatus.SKIPPED, actor, reason)


def skip(dm_id: int, *, actor: Actor, reason: str | None = None, workspace_id: int | None = None) -> DirectMessage:
    """Set a draft aside: nothing is sent."""
    dm = lifecycle.load(dm_id, actor, for_update=True, workspace_id=workspace_id)
    require_active(db.session.get(Workspace, dm.workspace_id))
    if dm.status == DmStatus.SKIPPED.value:
        db.session.commit()
        return dm
    if dm.status != DmStatus.DRAFT.value:
        raise Conflict(_("This DM is %(status)s; only a draft can be skipped.", status=dm.status))
    lifecycle.move(dm, DmStatus.SKIPPED, actor, reason or "skipped")
    db.session.commit()
    return dm


def cancel(dm_id: int, *, actor: Actor, reason: str | None = None) -> DirectMessage:
    """Withdraw a draft or an approved DM that has not started sending."""
    dm = lifecycle.load(dm_id, actor, for_update=True)
    require_active(db.session.get(Workspace, dm.workspace_id))
    if dm.status == DmStatus.CANCELLED.value:
        db.session.commit()
        return dm
    if dm.status not in lifecycle.OPEN:
        raise Conflict(
            _(
                "This DM is %(status)s; only a draft or an approved DM not yet sending can be cancelled.",
                status=dm.status,
            )
        )
    lifecycle.move(dm, DmStatus.CANCELLED, actor, reason or "cancelled")
    db.session.commit()
    return dm


MAX_KEY = 200
STORED_KEY = 200  # DirectMessage.idempotency_key holds "<user id>:<key>"


@dataclass
class Sent:
    dm: DirectMessage
    replayed: bool  # the idempotency key named an earlier request: that DM, nothing new queued


def stored_key(actor: Actor, key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise Invalid(
            _("The Idempotency-Key is not valid."),
            fields={"Idempotency-Key": _("1 to %(max_key)s characters.", max_key=MAX_KEY)},
        )
    stored = f"{actor.user_id or 0}:{key}"
    # Keys are per user; a long one is kept as its digest so that the prefix always fits.
    return stored if len(stored) <= STORED_KEY else f"{actor.user_id or 0}:sha256:{sha256(key.encode()).hexdigest()}"


def by_key(workspace_id: int, key: str) -> DirectMessage | None:
    return db.session.scalar(
        select(DirectMessage).where(DirectMessage.workspace_id == workspace_id, DirectMessage.idempotency_key == key)
    )


def replay(
    first: DirectMessage, target_id: int, template_id: int | None, text: str | None, comment_id: str | None
) -> Sent:
    """The earlier DM of a repeated key, if the request is the same; Invalid if the key named another one."""
    same = (
        first.target_id == target_id
        and first.template_id == template_id
        and (comment_id is None or first.comment_platform_id == comment_id)
        and (text is None or first.text == text.strip())
    )
    if not same:
        raise Invalid(
            _("This Idempotency-Key was used for a different request."),
            fields={"Idempotency-Key": _("Use a new key for a new request.")},
        )
    return Sent(first, replayed=True)


def send(
    target_id: int,
    *,
    actor: Actor,
    template_id: int | None = None,
    text: str | None = None,
    comment_id: str | None = None,
    idempotency_key: str | None = None,
    replaces: int | None = None,
) -> Sent:
    """Check the rules, render, and queue a DM approved at once; a repeated idempotency key returns the first DM
    (Invalid when it named another request), even when the same request races itself. The draft `replaces`
    names (a card's draft when another template is picked) is skipped in the same transaction."""
    target = get_scoped(Target, target_id, actor, what="Target")
    account, workspace = _parts(target)
    require_active(workspace)
    key = stored_key(actor, idempotency_key) if idempotency_key is not None else None
    if key and (first := by_key(workspace.id, key)) is not None:
        return replay(first, target_id, template_id, text, comment_id)
    route = eligibility.route_for(account, target, comment_platform_id=comment_id)
    body = compose(target, account, route, template_id=template_id, text=text, actor=actor)
    quota.ensure_room(account)
    dm = lifecycle.create(
        target,
        account,
        route,
        body,
        status=DmStatus.APPROVED,
        actor=actor,
        reason="sent now",
        template_id=template_id,
        idempotency_key=key,
    )
    mark_approved(dm, actor)
    if replaces is not None:
        _set_aside(replaces, actor, "replaced from chat by another template")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if key and (first := by_key(workspace.id, key)) is not None:
            return replay(first, target_id, template_id, text, comment_id)  # the same request raced itself
        raise Ineligible(COMMENT_TAKEN) from None
    queueing.send_later(dm.id, dm.workspace_id, requested_by=actor.user_id)
    return Sent(dm, replayed=False)


def send_now(target_id: int, *, actor: Actor, **request: Any) -> DirectMessage:
    """`send` for callers that need only the DM (chat buttons, jobs, tests)."""
    return send(target_id, actor=actor, **request).dm


@dataclass
class BulkResult:
    approved: list[int]
    refused: dict[int, str]


def bulk_approve(workspace_id: int, dm_ids: list[int], *, actor: Actor) -> BulkResult:
    """Approve many drafts, never more per account than what is left of today's quota; the ids are taken in
    the order given (the queue's: most urgent first). Invalid when no DM is selected."""
    workspace = require_active(require_role(workspace_id, actor))
    if not dm_ids:
        raise Invalid(_("No DM selected."), fields={"dm_ids": _("Tick at least one DM to approve.")})
    result = BulkResult([], {})
    room: dict[int, int] = {}
    for dm_id in dict.fromkeys(dm_ids):
        dm = db.session.get(DirectMessage, dm_id)
        if dm is None or dm.workspace_id != workspace_id:
            result.refused[dm_id] = "DM not found."
            continue
        if dm.social_account_id not in room:
            [gauge] = quota.usage(workspace, [db.session.get(SocialAccount, dm.social_account_id)])
            room[gauge.account.id] = gauge.remaining
        if dm.status == DmStatus.DRAFT.value and room[dm.social_account_id] <= 0:
            result.refused[dm_id] = "today's quota is used up for this account"
            continue
        try:
            approve(dm_id, actor=actor)
        except (Conflict, Invalid, NotFound) as exc:
            db.session.rollback()
            result.refused[dm_id] = exc.message
            continue
        room[dm.social_account_id] -= 1
        result.approved.append(dm_id)
    return result


def get(dm_id: int, *, actor: Actor, workspace_id: int | None = None) -> DirectMessage:
    """One DM the actor may see (of `workspace_id` when given); NotFound otherwise."""
    return lifecycle.load(dm_id, actor, workspace_id=workspace_id)


def people_of(dm_rows: list[DirectMessage]) -> dict[int, Target]:
    """The targets of a page of DMs (already read through `page_for`), by id, in one query."""
    ids = {dm.target_id for dm in dm_rows}
    return {t.id: t for t in db.session.scalars(select(Target).where(Target.id.in_(ids)))} if ids else {}


def replies_to(dm_rows: list[DirectMessage]) -> dict[int, Interaction]:
    """What the person wrote back first after each answered DM of a page, by DM id (one query a page)."""
    answered = [dm for dm in dm_rows if dm.replied_at is not None and dm.sent_at is not None]
    if not answered:
        return {}
    messages = db.session.scalars(
        select(Interaction)
        .where(
            Interaction.target_id.in_({dm.target_id for dm in answered}),
            Interaction.kind == "message",
            Interaction.occurred_at >= min(dm.sent_at for dm in answered),
        )
        .order_by(Interaction.occurred_at, Interaction.id)
    ).all()
    answers: dict[int, Interaction] = {}
    for dm in answered:
        first = next((m for m in messages if m.target_id == dm.target_id and m.occurred_at >= dm.sent_at), None)
        if first is not None:
            answers[dm.id] = first
    return answers


def page_for(
    workspace_id: int,
    *,
    actor: Actor,
    status: str | None = None,
    account_id: int | None = None,
    target_id: int | None = None,
    person: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page:
    """The workspace's DMs, newest first, filtered by status, account, target or part of the person's name."""
    require_role(workspace_id, actor)
    stmt = select(DirectMessage).where(DirectMessage.workspace_id == workspace_id)
    name = (person or "").strip().lstrip("@")
    if len(name) > MAX_QUERY:
        raise Invalid(_("The search is too long."), fields={"person": f"At most {MAX_QUERY} characters."})
    if name:
        people = select(Target.id).where(
            Target.workspace_id == workspace_id, contains(name, Target.username, Target.display_name)
        )
        stmt = stmt.where(DirectMessage.target_id.in_(people))
    if status:
        if status not in {s.value for s in DmStatus}:
            raise Invalid(_("Unknown status."), fields={"status": "One of: " + ", ".join(s.value for s in DmStatus)})
        stmt = stmt.where(DirectMessage.status == status)
    if account_id:
        stmt = stmt.where(DirectMessage.social_account_id == account_id)
    if target_id:
        stmt = stmt.where(DirectMessage.target_id == target_id)
    return paginate(stmt, [DirectMessage.id], cursor=cursor, limit=limit, descending=True)
