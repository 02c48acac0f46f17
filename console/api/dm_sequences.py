"""/dm/sequences and /dm/enrollments: follow-up sequences, enrolments and each step's status."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from core.models import SequenceEnrollment
from core.pagination import Page
from core.services.outreach import sequences

bp = Blueprint("dm_sequences", __name__, url_prefix="/dm")


class StepIn(In):
    template_id: int = Field(alias="templateId")
    delay_hours: int = Field(0, alias="delayHours", description="Hours after the previous step was sent.")


class SequenceIn(In):
    name: str = Field(max_length=120)
    steps: list[StepIn] = Field(min_length=1, max_length=sequences.MAX_STEPS)


class EnrollIn(In):
    target_id: int = Field(alias="targetId")


class StepOut(Out):
    template_id: int
    delay_hours: int


class SequenceOut(Out):
    id: int
    workspace_id: int
    name: str
    steps: list[StepOut]
    active: bool
    created_at: datetime


class StepStatusOut(Out):
    step: int
    template_id: int
    delay_hours: int
    status: str
    dm_id: int | None = None
    reason: str | None = None
    at: str | None = None


class EnrollmentOut(Out):
    id: int
    workspace_id: int
    sequence_id: int
    sequence_name: str
    target_id: int
    status: str
    status_reason: str | None
    current_step: int
    next_step_at: datetime | None
    steps: list[StepStatusOut]
    created_at: datetime

    @classmethod
    def of(cls, enrollment: SequenceEnrollment, row: sequences.EnrollmentRow | None = None) -> EnrollmentOut:
        """`row` (the enrolment's sequence and step statuses) saves the queries when a page already read it."""
        row = row or sequences.rows_of([enrollment])[0]
        return cls(
            id=enrollment.id,
            workspace_id=enrollment.workspace_id,
            sequence_id=row.sequence.id,
            sequence_name=row.sequence.name,
            target_id=enrollment.target_id,
            status=enrollment.status,
            status_reason=enrollment.status_reason,
            current_step=enrollment.current_step,
            next_step_at=enrollment.next_step_at,
            steps=row.steps,
            created_at=enrollment.created_at,
        )


@operation(
    bp,
    "GET",
    "/sequences/<int:workspace_id>",
    summary="Sequence enrolments with each step's status",
    query=PageQuery,
    response=PageOut[EnrollmentOut],
)
def list_enrollments(workspace_id: int, query: PageQuery):
    page, rows = sequences.enrollment_rows(workspace_id, actor=current_actor(), cursor=query.cursor, limit=query.limit)
    return Page([EnrollmentOut.of(r.enrollment, r) for r in rows], page.next_cursor)


@operation(
    bp,
    "GET",
    "/sequences/<int:workspace_id>/definitions",
    summary="The workspace's sequences",
    query=PageQuery,
    response=PageOut[SequenceOut],
)
def list_sequences(workspace_id: int, query: PageQuery):
    page = sequences.page_for(workspace_id, actor=current_actor(), cursor=query.cursor, limit=query.limit)
    return page


@operation(
    bp,
    "POST",
    "/sequences/<int:workspace_id>",
    summary="Create a sequence of template steps",
    body=SequenceIn,
    response=SequenceOut,
    status=201,
    errors=(403,),
)
def create_sequence(workspace_id: int, body: SequenceIn):
    steps = [{"template_id": s.template_id, "delay_hours": s.delay_hours} for s in body.steps]
    return sequences.create(workspace_id, actor=current_actor(), name=body.name, steps=steps), 201


@operation(
    bp,
    "POST",
    "/sequences/<int:sequence_id>/enroll",
    summary="Enrol a target (step 1 is queued at once)",
    body=EnrollIn,
    response=EnrollmentOut,
    status=201,
    errors=(403, 409),
)
def enroll(sequence_id: int, body: EnrollIn):
    return EnrollmentOut.of(sequences.enroll(sequence_id, body.target_id, actor=current_actor())), 201


@operation(
    bp,
    "POST",
    "/enrollments/<int:enrollment_id>/pause",
    summary="Pause an enrolment",
    response=EnrollmentOut,
    errors=(403, 409),
)
def pause(enrollment_id: int):
    return EnrollmentOut.of(sequences.pause(enrollment_id, actor=current_actor()))


@operation(
    bp,
    "POST",
    "/enrollments/<int:enrollment_id>/resume",
    summary="Resume a paused enrolment",
    response=EnrollmentOut,
    errors=(403, 409),
)
def resume(enrollment_id: int):
    return EnrollmentOut.of(sequences.resume(enrollment_id, actor=current_actor()))


@operation(
    bp,
    "POST",
    "/enrollments/<int:enrollment_id>/cancel",
    summary="Cancel an enrolment",
    response=EnrollmentOut,
    errors=(403, 409),
)
def cancel(enrollment_id: int):
    return EnrollmentOut.of(sequences.cancel(enrollment_id, actor=current_actor()))
