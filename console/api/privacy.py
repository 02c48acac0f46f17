"""/targets/<id>/personal-data: erase a person on request (owner/admin)."""

from __future__ import annotations

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.schemas import Out
from console.api.spec import operation
from core.services.privacy import erasure as privacy

bp = Blueprint("privacy", __name__, url_prefix="/targets")


class ErasureReachOut(Out):
    integration_id: int
    kind: str
    name: str
    delivery_id: int
    status: str = Field(description="reached, failed, retrying (retried like any delivery) or held (disabled).")
    detail: str | None


class ErasureOut(Out):
    target_ids: list[int]
    interactions: int
    direct_messages: int
    leads: int
    events: int
    chat_messages: int
    stored_answers: int
    deliveries: int
    job_runs: int
    newly_blocked: bool
    integrations: list[ErasureReachOut] = Field(description="What erasing in each integration gave.")


@operation(
    bp,
    "DELETE",
    "/<int:target_id>/personal-data",
    summary="Erase a person's personal data and keep them on do-not-contact (owner/admin)",
    response=ErasureOut,
    errors=(403,),
)
def erase_personal_data(target_id: int):
    return privacy.erasure_summary(privacy.erase_person(target_id, actor=current_actor()))
