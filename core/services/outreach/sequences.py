"""Sequences: ordered steps (template + delay) sent to an enrolled person, one DM per step.

Step 1 follows the usual rules (private reply or open 24 h window). Later steps are messages and go
out only while the person's 24 h window is open; otherwise they wait, and expire with a recorded
reason once the step has waited WAIT_LIMIT past its due time. A periodic job advances due enrolments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.errors import Conflict, Invalid, NotFound
from core.field_errors import field_message
from core.i18n import _
from core.models import (
    DirectMessage,
    DmStatus,
    DmTemplate,
    EnrollmentStatus,
    Sequence,
    SequenceEnrollment,
    SocialAccount,
    Target,
    Workspace,
)
from core.pagination import Page, paginate
from core.services import audit
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.outreach import eligibility, lifecycle, queueing, templates
from core.services.outreach.eligibility import Ineligible, Route
from core.services.workspaces import status as workspace_status
from core.validation import clean_name

MAX_STEPS = 10
WAIT_LIMIT = timedelta(hours=48)
RECHECK = timedelta(minutes=15)
PENDING = (DmStatus.APPROVED.value, DmStatus.SENDING.value)
COMMENT_TAKEN = "the comment already has its one private reply"


class StepIn(BaseModel):
    # Errors name a step as the API's body does: `steps.0.templateId` is the first step's template.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    template_id: int = Field(alias="templateId")
    delay_hours: int = Field(0, ge=0, le=24 * 30, alias="delayHours")


def _clean_steps(workspace_id: int, steps: list, actor: Actor) -> list[dict]:
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise Invalid(
            _("A sequence has 1 to 10 steps."),
            fields={"steps": _("Give 1 to %(max_steps)s steps.", max_steps=MAX_STEPS)},
        )
    cleaned = []
    for n, raw in enumerate(steps):
        try:
            step = StepIn.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            raise Invalid(
                _("A step is not valid."), fields={f"steps.{n}.{'.'.join(map(str, err['loc']))}": field_message(err)}
            ) from None
        try:
            get_scoped(DmTemplate, step.template_id, actor, what="Template", workspace_id=workspace_id)
        except NotFound:
            raise Invalid(
                _("Unknown template."), fields={f"steps.{n}.templateId": _("No such template here.")}
            ) from None
        cleaned.append({"template_id": step.template_id, "delay_hours": 0 if n == 0 else step.delay_hours})
    return cleaned


def create(workspace_id: int, *, actor: Actor, name: str, steps: list) -> Sequence:
    """Define a sequence of templated steps (any member)."""
    require_active(require_role(workspace_id, actor))
    sequence = Sequence(
        workspace_id=workspace_id, name=clean_name(name), steps=_clean_steps(workspace_id, steps, actor)
    )
    db.session.add(sequence)
    db.session.flush()
    audit.record(
        actor,
        "sequence.created",
        workspace_id=workspace_id,
        subject_type="sequence",
        subject_id=sequence.id,
        details={"name": sequence.name, "steps": len(sequence.steps)},
    )
    db.session.commit()
    return sequence


def page_for(workspace_id: int, *, actor: Actor, cursor: str | None = None, limit: int | None = None) -> Page:
    """A page of the workspace's sequences, oldest first."""
    require_role(workspace_id, actor)
    stmt = select(Sequence).where(Sequence.workspace_id == workspace_id)
    return paginate(stmt, [Sequence.id], cursor=cursor, limit=limit)


def enrollments_for(workspace_id: int, *, actor: Actor, cursor: str | None = None, limit: int | None = None) -> Page:
    """A page of the workspace's enrolments, newest first."""
    require_role(workspace_id, actor)
    stmt = select(SequenceEnrollment).where(SequenceEnrollment.workspace_id == workspace_id)
    return paginate(stmt, [SequenceEnrollment.id], cursor=cursor, limit=limit, descending=True)


@dataclass
class EnrollmentRow:
    enrollment: SequenceEnrollment
    sequence: Sequence
    steps: list[dict]
    target: Target


def rows_of(enrollments: list[SequenceEnrollment]) -> list[EnrollmentRow]:
    """Enrolments a service returned with each one's sequence, step statuses and person (one query per kind)."""
    sequence_ids = {e.sequence_id for e in enrollments}
    target_ids = {e.target_id for e in enrollments}
    found = {s.id: s for s in db.session.scalars(select(Sequence).where(Sequence.id.in_(sequence_ids)))}
    people = {t.id: t for t in db.session.scalars(select(Target).where(Target.id.in_(target_ids)))}
    return [
        EnrollmentRow(e, found[e.sequence_id], step_statuses(e, found[e.sequence_id]), people[e.target_id])
        for e in enrollments
    ]


def enrollment_rows(
    workspace_id: int, *, actor: Actor, cursor: str | None = None, limit: int | None = None
) -> tuple[Page, list[EnrollmentRow]]:
    """A page of enrolments (newest first) as `rows_of` shows them."""
    page = enrollments_for(workspace_id, actor=actor, cursor=cursor, limit=limit)
    return page, rows_of(page.items)


def step_statuses(enrollment: SequenceEnrollment, sequence: Sequence) -> list[dict]:
    """Each step's status: the log's entry, or pending."""
    logged = {entry["step"]: entry for entry in enrollment.step_log or []}
    return [
        logged.get(n, {"step": n, "status": "pending", "dm_id": None, "reason": None, "at": None})
        | {"template_id": step["template_id"], "delay_hours": step["delay_hours"]}
        for n, step in enumerate(sequence.steps, start=1)
    ]


def enroll(sequence_id: int, target_id: int, *, actor: Actor) -> SequenceEnrollment:
    """Enrol a person; step 1 must be allowed now (Ineligible otherwise) and is queued at once."""
    sequence = get_scoped(Sequence, sequence_id, actor, what="Sequence")
    target = get_scoped(Target, target_id, actor, what="Target")
    if target.workspace_id != sequence.workspace_id:
        raise Invalid(_("The target is not in the sequence's workspace."), fields={"targetId": _("Unknown target.")})
    require_active(db.session.get(Workspace, sequence.workspace_id))
    if not sequence.active:
        raise Conflict(_("This sequence is switched off."))
    eligibility.route_for(db.session.get(SocialAccount, target.social_account_id), target)
    enrollment = SequenceEnrollment(
        workspace_id=sequence.workspace_id,
        sequence_id=sequence.id,
        target_id=target.id,
        status=EnrollmentStatus.ACTIVE.value,
        current_step=0,
        next_step_at=utcnow(),
        step_log=[],
        created_by_user_id=actor.user_id,
    )
    db.session.add(enrollment)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("This person is already enrolled in this sequence.")) from None
    audit.record(
        actor,
        "sequence.enrolled",
        workspace_id=sequence.workspace_id,
        subject_type="sequence_enrollment",
        subject_id=enrollment.id,
        details={"sequence_id": sequence.id, "target_id": target.id},
    )
    db.session.commit()
    queueing.advance_later(enrollment.id, enrollment.workspace_id)
    return enrollment


def _set_status(
    enrollment_id: int, actor: Actor, to: EnrollmentStatus, allowed: tuple[str, ...], workspace_id: int | None
) -> SequenceEnrollment:
    enrollment = get_scoped(SequenceEnrollment, enrollment_id, actor, what="Enrolment", workspace_id=workspace_id)
    require_active(db.session.get(Workspace, enrollment.workspace_id))
    enrollment = db.session.scalar(
        select(SequenceEnrollment)
        .where(SequenceEnrollment.id == enrollment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if enrollment.status == to.value:
        db.session.commit()
        return enrollment
    if enrollment.status not in allowed:
        raise Conflict(
            _("This enrolment is %(status)s; it cannot become %(value)s.", status=enrollment.status, value=to.value)
        )
    enrollment.status = to.value
    enrollment.status_reason = f"{to.value} by {actor.label}"
    if to == EnrollmentStatus.ACTIVE:
        enrollment.next_step_at = utcnow()
    if to == EnrollmentStatus.CANCELLED:
        enrollment.next_step_at = None
        for dm in db.session.scalars(
            select(DirectMessage).where(
                DirectMessage.sequence_enrollment_id == enrollment.id, DirectMessage.status.in_(lifecycle.OPEN)
            )
        ):
            lifecycle.move(dm, DmStatus.CANCELLED, actor, "sequence cancelled")
    audit.record(
        actor,
        f"sequence_enrollment.{to.value}",
        workspace_id=enrollment.workspace_id,
        subject_type="sequence_enrollment",
        subject_id=enrollment.id,
    )
    db.session.commit()
    return enrollment


def pause(enrollment_id: int, *, actor: Actor, workspace_id: int | None = None) -> SequenceEnrollment:
    """Hold an active enrolment: no further step is sent until resumed."""
    return _set_status(enrollment_id, actor, EnrollmentStatus.PAUSED, (EnrollmentStatus.ACTIVE.value,), workspace_id)


def resume(enrollment_id: int, *, actor: Actor, workspace_id: int | None = None) -> SequenceEnrollment:
    """Resume a paused enrolment; its due step is checked at the next pass."""
    return _set_status(enrollment_id, actor, EnrollmentStatus.ACTIVE, (EnrollmentStatus.PAUSED.value,), workspace_id)


def cancel(enrollment_id: int, *, actor: Actor, workspace_id: int | None = None) -> SequenceEnrollment:
    """Stop an enrolment for good and cancel its unsent DMs."""
    live = (EnrollmentStatus.ACTIVE.value, EnrollmentStatus.PAUSED.value)
    return _set_status(enrollment_id, actor, EnrollmentStatus.CANCELLED, live, workspace_id)


# ---------------------------------------------------------------- advancing


def _log(
    enrollment: SequenceEnrollment,
    step: int,
    status: str,
    *,
    dm_id: int | None = None,
    reason: str | None = None,
    now: datetime,
) -> None:
    entries = [e for e in enrollment.step_log or [] if e["step"] != step]
    entries.append({"step": step, "status": status, "dm_id": dm_id, "reason": reason, "at": now.isoformat()})
    enrollment.step_log = sorted(entries, key=lambda e: e["step"])  # a new list: JSON columns track assignment


def _end(enrollment: SequenceEnrollment, status: EnrollmentStatus, reason: str | None) -> None:
    enrollment.status = status.value
    enrollment.status_reason = reason
    enrollment.next_step_at = None


def _previous_step(enrollment: SequenceEnrollment, index: int, now: datetime) -> datetime | None:
    """When the previous step's DM went out, or None while it is in flight (ending the enrolment if it failed)."""
    entry = next(e for e in enrollment.step_log if e["step"] == index)
    dm = db.session.get(DirectMessage, entry["dm_id"])
    if dm.status in PENDING:
        enrollment.next_step_at = now + RECHECK
        return None
    if dm.status != DmStatus.SENT.value:
        _log(enrollment, index, dm.status, dm_id=dm.id, reason=dm.status_reason, now=now)
        _end(enrollment, EnrollmentStatus.EXPIRED, f"step {index} was not sent ({dm.status}: {dm.status_reason})")
        return None
    if entry["status"] != "sent":
        _log(enrollment, index, "sent", dm_id=dm.id, now=dm.sent_at)
    return dm.sent_at


def advance(enrollment_id: int, now: datetime | None = None) -> dict:
    """Move one enrolment forward: wait, send its due step, or end it with a reason (commits)."""
    now = now or utcnow()
    enrollment = db.session.scalar(
        select(SequenceEnrollment)
        .where(SequenceEnrollment.id == enrollment_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if enrollment is None or enrollment.status != EnrollmentStatus.ACTIVE.value:
        db.session.commit()
        return {"status": enrollment.status if enrollment else "busy"}
    sequence = db.session.get(Sequence, enrollment.sequence_id)
    index = enrollment.current_step  # steps already queued
    due = enrollment.created_at
    if index > 0:
        sent_at = _previous_step(enrollment, index, now)
        if sent_at is None:
            db.session.commit()
            return {"status": enrollment.status}
        if index == len(sequence.steps):
            _end(enrollment, EnrollmentStatus.COMPLETED, "every step was sent")
            db.session.commit()
            return {"status": enrollment.status}
        due = sent_at + timedelta(hours=sequence.steps[index]["delay_hours"])
        if now < due:
            enrollment.next_step_at = due
            db.session.commit()
            return {"status": enrollment.status, "next_step_at": due.isoformat()}
    try:
        dm_id = _send_step(enrollment, sequence, index, due, now)
        db.session.commit()
    except IntegrityError:  # the comment's one private reply was taken meanwhile
        db.session.rollback()
        enrollment = db.session.get(SequenceEnrollment, enrollment_id, with_for_update=True)
        _log(enrollment, index + 1, "expired", reason=COMMENT_TAKEN, now=now)
        _end(enrollment, EnrollmentStatus.EXPIRED, f"step {index + 1}: {COMMENT_TAKEN}")
        db.session.commit()
        return {"status": enrollment.status}
    if dm_id is not None:
        queueing.send_later(dm_id, enrollment.workspace_id)
    return {"status": enrollment.status, "dm_id": dm_id}


def _send_step(
    enrollment: SequenceEnrollment, sequence: Sequence, index: int, due: datetime, now: datetime
) -> int | None:
    step_no = index + 1
    target = db.session.get(Target, enrollment.target_id)
    account = db.session.get(SocialAccount, target.social_account_id)
    try:
        if index == 0:
            route = eligibility.route_for(account, target, now=now)
        else:
            eligibility.check_sender(account)
            eligibility.check_person(target)
            if not eligibility.message_window_open(target, now):
                return _wait(enrollment, step_no, due, now)
            route = Route("message")
        template = db.session.get(DmTemplate, sequence.steps[index]["template_id"])
        if template is None:
            raise Ineligible(_("The template of step %(step_no)s was deleted.", step_no=step_no))
        text = templates.render(template.body, templates.values_for(target, account, route.comment))
    except (Ineligible, Invalid) as exc:
        _log(enrollment, step_no, "expired", reason=exc.message, now=now)
        _end(enrollment, EnrollmentStatus.EXPIRED, f"step {step_no}: {exc.message}")
        return None
    dm = lifecycle.create(
        target,
        account,
        route,
        text,
        status=DmStatus.APPROVED,
        actor=Actor.system("sequence"),
        reason=f"sequence “{sequence.name}”, step {step_no}",
        template_id=template.id,
        sequence_enrollment_id=enrollment.id,
        sequence_step=step_no,
        created_by_user_id=enrollment.created_by_user_id,
        approved_by_user_id=enrollment.created_by_user_id,
        approved_via="system",
        approved_at=now,
    )
    _log(enrollment, step_no, "queued", dm_id=dm.id, now=now)
    enrollment.current_step = step_no
    enrollment.next_step_at = now + RECHECK
    return dm.id


def _wait(enrollment: SequenceEnrollment, step_no: int, due: datetime, now: datetime) -> None:
    if now - due >= WAIT_LIMIT:
        reason = (
            f"step {step_no} waited {int(WAIT_LIMIT.total_seconds() // 3600)} h for the person to answer "
            "(Instagram's 24 h window) and expired"
        )
        _log(enrollment, step_no, "expired", reason=reason, now=now)
        _end(enrollment, EnrollmentStatus.EXPIRED, reason)
        return None
    _log(enrollment, step_no, "waiting", reason="waiting for the person to answer (no open 24 h window)", now=now)
    enrollment.next_step_at = now + RECHECK
    return None


def advance_due(now: datetime | None = None, batch: int = 500) -> dict:
    """Advance every due active enrolment of the active workspaces."""
    now = now or utcnow()
    active = workspace_status.active_workspace_ids()
    ids = list(
        db.session.scalars(
            select(SequenceEnrollment.id)
            .where(
                SequenceEnrollment.status == EnrollmentStatus.ACTIVE.value,
                SequenceEnrollment.next_step_at <= now,
                SequenceEnrollment.workspace_id.in_(active),
            )
            .order_by(SequenceEnrollment.next_step_at)
            .limit(batch)
        )
    )
    db.session.commit()
    sent = 0
    for enrollment_id in ids:
        sent += advance(enrollment_id, now).get("dm_id") is not None
    return {"due": len(ids), "queued": sent}
