"""What follows a DM: the lead moves to contacted/replied, a reply stops sequences, opt-outs cancel drafts.

`handle_inbound` is called by ingest for each new inbound message; `add_hot_drafts` by scoring for
targets that just became hot.
"""

from __future__ import annotations

from sqlalchemy import select

from core import events
from core.db import db
from core.errors import VistaFlowError
from core.models import (
    DirectMessage,
    DmStatus,
    EnrollmentStatus,
    Interaction,
    Lead,
    LeadStatus,
    SequenceEnrollment,
    SocialAccount,
    Target,
    Workspace,
)
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.outreach import eligibility, lifecycle, templates
from core.services.outreach.eligibility import Ineligible
from core.services.outreach.settings import template_for
from core.services.privacy import contact_policy

SYSTEM = Actor.system("outreach")
# Inbound kinds that answer us in the inbox (and may carry a stop word addressed to us).
ANSWER_KINDS = ("message", "story_reply")
OPT_OUT_KINDS = ("message", "story_reply", "reply")
LIVE_ENROLLMENT = (EnrollmentStatus.ACTIVE.value, EnrollmentStatus.PAUSED.value)


def _lead_of(target_id: int) -> Lead | None:
    return db.session.scalar(select(Lead).where(Lead.target_id == target_id))


def walk_lead(target_id: int, path: tuple[LeadStatus, ...], note: str, *, actor: Actor = SYSTEM) -> None:
    """Move an existing lead along `path` from where it stands, each step through leads.move (no commit)."""
    lead = db.session.scalar(select(Lead).where(Lead.target_id == target_id).with_for_update())
    if lead is None or LeadStatus(lead.status) not in path:
        return  # no lead, or a person already moved it further (or closed it)
    for status in path[path.index(LeadStatus(lead.status)) + 1 :]:
        leads.move(lead, status, actor=actor, note=note)


def lead_contacted(target_id: int, dm_id: int) -> None:
    """A DM went out: a new lead becomes contacted (no commit)."""
    walk_lead(target_id, (LeadStatus.NEW, LeadStatus.CONTACTED), f"DM {dm_id} sent")


def stop_enrollments(target_id: int, status: EnrollmentStatus, reason: str) -> int:
    """End the person's live sequence enrolments and cancel their unsent DMs (no commit)."""
    stopped = 0
    rows = db.session.scalars(
        select(SequenceEnrollment)
        .where(SequenceEnrollment.target_id == target_id, SequenceEnrollment.status.in_(LIVE_ENROLLMENT))
        .with_for_update()
    )
    for enrollment in rows:
        enrollment.status = status.value
        enrollment.status_reason = reason
        enrollment.next_step_at = None
        stopped += 1
        for dm in db.session.scalars(
            select(DirectMessage).where(
                DirectMessage.sequence_enrollment_id == enrollment.id, DirectMessage.status.in_(lifecycle.OPEN)
            )
        ):
            lifecycle.move(dm, DmStatus.CANCELLED, SYSTEM, reason)
    return stopped


def _cancel_open_dms(target: Target, reason: str) -> None:
    for dm in db.session.scalars(
        select(DirectMessage).where(DirectMessage.target_id == target.id, DirectMessage.status.in_(lifecycle.OPEN))
    ):
        lifecycle.move(dm, DmStatus.CANCELLED, SYSTEM, reason)


def note_inbound(rows: list[tuple[int, int]]) -> dict:
    """React to new inbound interactions (target_id, interaction_id): an opt-out cancels and blocks; an
    answer after a DM marks it replied, moves the lead to replied, stops sequences, emits dm.replied.
    No commit: ingest calls it inside its own transaction."""
    result: dict = {"opted_out": 0, "replied": []}
    for target_id, interaction_id in sorted(rows):
        interaction = db.session.get(Interaction, interaction_id)
        target = db.session.get(Target, target_id)
        if interaction is None or target is None or interaction.target_id != target.id:
            continue
        if interaction.is_opt_out and interaction.kind in OPT_OUT_KINDS:
            _cancel_open_dms(target, "person opted out")
            stop_enrollments(target.id, EnrollmentStatus.CANCELLED, "person opted out")
            contact_policy.block(target, "opt_out")
            result["opted_out"] += 1
        if interaction.kind not in ANSWER_KINDS:
            continue
        replied = db.session.scalar(
            select(DirectMessage)
            .where(
                DirectMessage.target_id == target.id,
                DirectMessage.status == DmStatus.SENT.value,
                DirectMessage.sent_at <= interaction.occurred_at,
                DirectMessage.replied_at.is_(None),
            )
            .order_by(DirectMessage.sent_at.desc())
            .limit(1)
        )
        if replied is None:
            continue
        replied.replied_at = interaction.occurred_at
        stop_enrollments(target.id, EnrollmentStatus.STOPPED, "the person replied")
        walk_lead(target.id, (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.REPLIED), f"replied to DM {replied.id}")
        lead = _lead_of(target.id)
        events.emit(
            "dm.replied",
            target.workspace_id,
            {"dm_id": replied.id, "target_id": target.id, "lead_id": lead.id if lead else None},
            ordering_key=f"target:{target.id}",
        )
        result["replied"].append(replied.id)
    return result


def note_new_rows(rows: list) -> dict:
    """`note_inbound` for rows ingest just inserted (anything with target_id, kind, is_opt_out; no commit)."""
    pairs: set[tuple[int, int]] = set()
    for target_id in sorted({r.target_id for r in rows if r.target_id and r.kind in OPT_OUT_KINDS}):
        mine = [r for r in rows if r.target_id == target_id and r.kind in OPT_OUT_KINDS]
        wanted = [(Interaction.kind.in_(ANSWER_KINDS),)]
        if any(r.is_opt_out for r in mine):
            wanted.append((Interaction.kind.in_(OPT_OUT_KINDS), Interaction.is_opt_out.is_(True)))
        for conditions in wanted:
            found = db.session.scalar(
                select(Interaction.id)
                .where(Interaction.target_id == target_id, *conditions)
                .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
                .limit(1)
            )
            if found is not None:
                pairs.add((target_id, found))
    return note_inbound(sorted(pairs))


def handle_inbound(target_id: int, interaction_id: int) -> dict:
    """`note_inbound` for one interaction, committed."""
    result = note_inbound([(target_id, interaction_id)])
    db.session.commit()
    return {
        "opted_out": bool(result["opted_out"]),
        "replied_dm_id": result["replied"][0] if result["replied"] else None,
    }


def add_hot_drafts(target_ids: list[int]) -> int:
    """Draft a DM for each target that became hot, in the template of their language (no commit)."""
    made = 0
    for target in db.session.scalars(select(Target).where(Target.id.in_(target_ids)).order_by(Target.id)):
        template = template_for(db.session.get(Workspace, target.workspace_id), target)
        if template is None:
            continue
        pending = db.session.scalar(
            select(DirectMessage.id)
            .where(DirectMessage.target_id == target.id, DirectMessage.status.in_(lifecycle.OPEN))
            .limit(1)
        )
        if pending is not None:
            continue
        account = db.session.get(SocialAccount, target.social_account_id)
        try:
            route = eligibility.route_for(account, target)
            text = templates.render(template.body, templates.values_for(target, account, route.comment))
        except (Ineligible, VistaFlowError):
            continue  # nothing may be sent to them now; the target stays hot for a person to see
        lifecycle.create(
            target,
            account,
            route,
            text,
            status=DmStatus.DRAFT,
            actor=SYSTEM,
            reason="drafted for a hot target",
            template_id=template.id,
        )
        made += 1
    return made
