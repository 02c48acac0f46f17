"""/targets: scored people, their explanation and DM options, and rescoring on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.interactions import InteractionOut
from console.api.schemas import In, Out, PageOut
from console.api.spec import operation
from core.models import Target
from core.services.targets import bulk, calibration
from core.services.targets import language as person_language
from core.services.targets import read as targets

bp = Blueprint("targets", __name__, url_prefix="/targets")


class RescoreIn(In):
    full: bool = Field(True, description="Rescore every target (true) or only those with new interactions.")


class RescoreOut(Out):
    job_id: str
    status: str
    scored: int | None = None
    became_hot: int | None = None
    left_hot: int | None = None


class RateOut(Out):
    label: str
    n: int
    successes: int
    rate: float | None
    ci95: list[float | None] | None = Field(None, description="Wilson 95% interval of the rate.")


class OutcomeRatesOut(Out):
    outcomes: int
    needed: int = Field(description="Outcomes needed before weights are suggested.")
    enough: bool
    window_hours: int | None = None
    hot_vs_not: list[RateOut]
    bands: list[RateOut]


class CalibrationOut(Out):
    workspace_id: int
    reply: OutcomeRatesOut
    win: OutcomeRatesOut
    current_weights: dict[str, float]
    suggested_weights: dict[str, float] | None
    calibrated: bool
    fitted_at: str | None
    can_undo: bool


class WeightsOut(Out):
    weights: dict[str, Any]
    previous_weights: dict[str, Any] | None = None


class TargetQuery(In):
    sort: Literal["score", "last_activity"] = "score"
    min_score: int | None = Field(None, ge=0, le=100)
    hot_only: bool = False
    account: int | None = Field(None, description="Only this social account's targets.")
    platform: Literal["instagram", "tiktok"] | None = None
    q: str | None = Field(None, max_length=200, description="Part of the username or display name.")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=512)


class TargetsBulkIn(In):
    action: Literal["make_leads", "draft_dms", "enrol"]
    target_ids: list[int] = Field(min_length=1, max_length=bulk.MAX_BULK)
    template_id: int | None = Field(None, description="The template to draft from (draft_dms).")
    sequence_id: int | None = Field(None, description="The sequence to enrol in (enrol).")


class TargetSkipOut(Out):
    target_id: int
    reason: str


class TargetsBulkOut(Out):
    done: list[int]
    skipped: list[TargetSkipOut]


class TargetOut(Out):
    id: int
    workspace_id: int
    social_account_id: int
    platform: str
    username: str | None
    score: int
    is_hot: bool
    hot_since: datetime | None
    score_breakdown: dict[str, float]
    score_reasons: list[str]
    scored_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    interactions_count: int
    comments_count: int
    messages_count: int
    opted_out: bool
    language: str | None = Field(None, description="The language the person writes in (detected or set).")
    language_set: bool = Field(False, description="The team set the language; it is no longer detected.")

    @classmethod
    def of(cls, target: Target, **extra: Any) -> TargetOut:
        """`extra` fills a subclass's own fields (the detail's interactions and DM options)."""
        fields = {name: getattr(target, name) for name in TargetOut.model_fields if name != "opted_out"}
        return cls(
            **fields
            | {
                "opted_out": target.opted_out_at is not None,
                "score_breakdown": target.score_breakdown or {},
                "score_reasons": target.score_reasons or [],
            },
            **extra,
        )


class PrivateReplyOut(Out):
    interaction_id: int
    comment_id: str
    text: str | None
    occurred_at: datetime
    until: datetime


class DmOptionsOut(Out):
    available: bool
    private_replies: list[PrivateReplyOut]
    message_until: datetime | None
    unavailable_reason: str | None


class TargetDetailOut(TargetOut):
    interactions: list[InteractionOut]
    dm_options: DmOptionsOut


@operation(
    bp,
    "POST",
    "/update/<int:workspace_id>",
    summary="Rescore the workspace's targets (or enqueue it)",
    body=RescoreIn,
    response=RescoreOut,
    errors=(403, 503),
    also=(202,),
)
def rescore(workspace_id: int, body: RescoreIn):
    run, counts = targets.request_rescore(workspace_id, actor=current_actor(), full=body.full)
    out = {"job_id": run.id, "status": run.status}
    if counts is None:
        return out, 202
    return out | {"scored": counts.scored, "became_hot": counts.became_hot, "left_hot": counts.left_hot}


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>",
    summary="The workspace's targets, by score or activity",
    query=TargetQuery,
    response=PageOut[TargetOut],
)
def list_targets(workspace_id: int, query: TargetQuery):
    filters = targets.TargetFilters(
        sort=query.sort,
        min_score=query.min_score,
        hot_only=query.hot_only,
        account_id=query.account,
        platform=query.platform,
        q=query.q,
    )
    page = targets.page(workspace_id, actor=current_actor(), filters=filters, cursor=query.cursor, limit=query.limit)
    return page.map(TargetOut.of)


@operation(
    bp,
    "GET",
    "/<int:target_id>",
    summary="A target: breakdown, interactions and the DM options open now",
    response=TargetDetailOut,
)
def get_target(target_id: int):
    found = targets.detail(target_id, actor=current_actor())
    return TargetDetailOut.of(
        found.target, interactions=found.interactions, dm_options=DmOptionsOut.model_validate(found.options)
    )


@operation(
    bp,
    "GET",
    "/calibration/<int:workspace_id>",
    summary="Scoring quality: reply and win rates hot vs not hot and per band, suggested weights",
    response=CalibrationOut,
)
def get_calibration(workspace_id: int):
    return calibration.report(workspace_id, actor=current_actor())


@operation(
    bp,
    "POST",
    "/calibration/<int:workspace_id>/apply",
    summary="Apply the suggested weights (owner; audited; undo with /undo)",
    response=WeightsOut,
    errors=(403, 409),
)
def apply_calibration(workspace_id: int):
    return calibration.apply_suggested(workspace_id, actor=current_actor())


@operation(
    bp,
    "POST",
    "/calibration/<int:workspace_id>/undo",
    summary="Put back the weights the last apply replaced (owner; audited)",
    response=WeightsOut,
    errors=(403, 409),
)
def undo_calibration(workspace_id: int):
    return calibration.undo(workspace_id, actor=current_actor())


@operation(
    bp,
    "POST",
    "/workspace/<int:workspace_id>/bulk",
    summary="Make leads of many people, draft each a DM, or enrol them in a sequence; refusals skipped with why",
    body=TargetsBulkIn,
    response=TargetsBulkOut,
    errors=(403, 404),
)
def bulk_targets(workspace_id: int, body: TargetsBulkIn):
    actor = current_actor()
    if body.action == "make_leads":
        outcome = bulk.make_leads(workspace_id, body.target_ids, actor=actor)
    elif body.action == "enrol":
        outcome = bulk.enrol(workspace_id, body.target_ids, sequence_id=body.sequence_id, actor=actor)
    else:
        outcome = bulk.draft_dms(workspace_id, body.target_ids, template_id=body.template_id, actor=actor)
    return {
        "done": outcome.done,
        "skipped": [{"target_id": t, "reason": reason} for t, reason in outcome.skipped.items()],
    }


class LanguageIn(In):
    language: Literal["en", "fr", "es", "de", "it", "pt"] | None = Field(
        description="The language to write to the person in; null: detect it from what they write."
    )


@operation(
    bp,
    "POST",
    "/<int:target_id>/language",
    summary="Set the language the person is written to in, or go back to detecting it (member)",
    body=LanguageIn,
    response=TargetOut,
    errors=(403, 404, 422),
)
def set_language(target_id: int, body: LanguageIn):
    return TargetOut.of(person_language.set_language(target_id, body.language, actor=current_actor()))
