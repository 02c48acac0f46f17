"""/automations: rules that answer comments by themselves, their dry run, their figures and their variants.

Bodies and answers are camelCase, like the trigger in the rule editor: `{"name", "trigger": {"on", "keywords",
"intent", "minIntent", "minScore", "mediaIds"}, "variants": [{"templateId", "weight"}], "publicReplies", "mode",
"active", ...}`. A PATCH replaces each top-level field it names (a trigger as a whole) and keeps the others.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from flask import Blueprint
from pydantic import ConfigDict, Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out
from console.api.spec import operation
from console.i18n import render
from core.models import AutomationRule
from core.services.automations import dry_run, rules, stats, wording

bp = Blueprint("automations", __name__, url_prefix="/automations")


class TriggerIn(In):
    on: list[Literal["comment", "story_reply", "message"]] = Field(["comment"], min_length=1)
    keywords: list[str] = Field([], description="Whole words, any language; accents and case ignored.")
    intent: bool = Field(False, description="Fire on buying intent as the reader sees it.")
    minIntent: float | None = Field(None, ge=0, le=1, description="Intent probability needed (null: the reader's).")
    minScore: int | None = Field(None, ge=0, le=100)
    mediaIds: list[str] | None = Field(None, description="Only comments on these posts (null: all posts).")


class ExcludeIn(In):
    customers: bool = True
    leadStatuses: list[str] = []
    messagedWithinDays: int | None = Field(None, ge=1, le=365)


class VariantIn(In):
    id: int | None = Field(None, description="An existing variant of the rule; none: a new variant.")
    templateId: int
    weight: int = Field(50, ge=1, le=100)
    paused: bool = False


class HoursIn(In):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: str = Field(alias="from", pattern=r"^[0-9]{2}:[0-9]{2}$")
    until: str = Field(pattern=r"^[0-9]{2}:[0-9]{2}$")


class RuleIn(In):
    name: str = Field(max_length=120)
    priority: int = Field(100, ge=0, le=1000, description="Lower runs first; a comment triggers one rule at most.")
    trigger: TriggerIn = TriggerIn()
    exclude: ExcludeIn = ExcludeIn()
    variants: list[VariantIn] = Field(min_length=1, max_length=6)
    publicReplies: list[str] = Field([], max_length=10, description="Rotated under the comment once the DM is out.")
    mode: Literal["automatic", "review"] = "review"
    active: bool = False
    createLead: bool = False
    chatAlert: bool = Field(False, description="Post each DM it sends or drafts to the workspace's chats.")
    leadTag: str | None = Field(None, max_length=50, description="A tag put on the person's lead (made if missing).")
    activeHours: HoursIn | None = None


class RulePatch(In):
    name: str | None = Field(None, max_length=120)
    priority: int | None = Field(None, ge=0, le=1000)
    trigger: TriggerIn | None = None
    exclude: ExcludeIn | None = None
    variants: list[VariantIn] | None = Field(None, min_length=1, max_length=6)
    publicReplies: list[str] | None = Field(None, max_length=10)
    mode: Literal["automatic", "review"] | None = None
    active: bool | None = None
    createLead: bool | None = None
    chatAlert: bool | None = None
    leadTag: str | None = Field(None, max_length=50)
    activeHours: HoursIn | None = None


class VariantOut(Out):
    id: int
    label: str
    templateId: int | None
    weight: int
    paused: bool


class RuleOut(Out):
    id: int
    workspaceId: int
    name: str
    priority: int
    trigger: dict[str, Any]
    exclude: dict[str, Any]
    variants: list[VariantOut]
    publicReplies: list[str]
    mode: str
    active: bool
    createLead: bool
    chatAlert: bool
    leadTag: str | None
    activeHours: dict[str, str] | None
    activatedAt: datetime | None
    createdAt: datetime
    updatedAt: datetime


class RulesOut(Out):
    items: list[RuleOut]


class DryRunRowOut(Out):
    interactionId: int
    targetId: int
    username: str | None
    text: str | None
    receivedAt: datetime
    outcome: Literal["would_send", "would_draft", "excluded", "ineligible"]
    because: str | None = Field(description='What fired the rule: "keyword:<word>", "intent", "score:<n>", "any".')
    reason: str | None = Field(description="Why it is held back, in the caller's language.")
    reasonCode: str | None = Field(description='The same as a stable code: "customer", "opted_out", "pending"...')
    variant: str | None


class DryRunOut(Out):
    examined: int
    matched: int
    wouldAct: int
    held: int
    rows: list[DryRunRowOut]


class RateOut(Out):
    value: float | None
    low: float | None
    high: float | None


class VariantStatsOut(Out):
    id: int
    label: str
    paused: bool
    removed: bool
    triggered: int
    sent: int
    replied: int
    leads: int
    won: int
    replyRate: RateOut
    winRate: RateOut


class VerdictOut(Out):
    code: Literal["better", "no_difference", "not_enough_data", "single", "none"]
    leader: str | None
    pValue: float | None
    statement: str


class DayOut(Out):
    day: date
    sent: int


class StatsOut(Out):
    ruleId: int
    held: int
    sentToday: int
    repliedToday: int
    variants: list[VariantStatsOut]
    replies: VerdictOut
    wins: VerdictOut
    byDay: list[DayOut]


def _spec(body: In) -> dict[str, Any]:
    spec = body.model_dump(by_alias=True, exclude_unset=True)
    for variant in spec.get("variants") or []:
        variant.setdefault("id", None)
    return spec


def rule_out(rule: AutomationRule) -> dict[str, Any]:
    return rules.as_spec(rule) | {
        "id": rule.id,
        "workspaceId": rule.workspace_id,
        "activatedAt": rule.activated_at,
        "createdAt": rule.created_at,
        "updatedAt": rule.updated_at,
    }


@operation(bp, "GET", "/workspace/<int:workspace_id>", summary="The workspace's automations", response=RulesOut)
def list_rules(workspace_id: int):
    return {"items": [rule_out(r) for r in rules.list_for(workspace_id, actor=current_actor())]}


@operation(
    bp,
    "POST",
    "/workspace/<int:workspace_id>",
    summary="Create an automation (admin)",
    body=RuleIn,
    response=RuleOut,
    status=201,
    errors=(403,),
)
def create_rule(workspace_id: int, body: RuleIn):
    return rule_out(rules.create(workspace_id, _spec(body), actor=current_actor())), 201


@operation(bp, "GET", "/<int:rule_id>", summary="One automation", response=RuleOut)
def get_rule(rule_id: int):
    return rule_out(rules.get(rule_id, actor=current_actor()))


@operation(
    bp,
    "PATCH",
    "/<int:rule_id>",
    summary="Change an automation (admin)",
    body=RulePatch,
    response=RuleOut,
    errors=(403,),
)
def update_rule(rule_id: int, body: RulePatch):
    return rule_out(rules.update(rule_id, _spec(body), actor=current_actor()))


@operation(bp, "DELETE", "/<int:rule_id>", summary="Delete an automation (admin)", status=204, errors=(403,))
def delete_rule(rule_id: int):
    rules.delete(rule_id, actor=current_actor())
    return None, 204


@operation(
    bp,
    "POST",
    "/<int:rule_id>/dry-run",
    summary="What the rule would have done with the last 7 days' comments (nothing is sent)",
    response=DryRunOut,
)
def dry_run_rule(rule_id: int):
    result = dry_run.run(rule_id, actor=current_actor())
    return {
        "examined": result.examined,
        "matched": result.matched,
        "wouldAct": result.would_act,
        "held": result.held,
        "rows": [
            {
                "interactionId": row.interaction.id,
                "targetId": row.target.id,
                "username": row.target.username,
                "text": row.interaction.text,
                "receivedAt": row.interaction.received_at,
                "outcome": row.outcome,
                "because": row.because,
                "reason": render(wording.reason(row.reason)) or None,
                "reasonCode": row.reason,
                "variant": row.variant.label if row.variant else None,
            }
            for row in result.rows
        ],
    }


def _rate(rate: stats.Rate) -> dict[str, float | None]:
    low, high = rate.interval or (None, None)
    return {"value": rate.value, "low": low, "high": high}


def _verdict(verdict: stats.Verdict, what: str) -> dict[str, Any]:
    return {
        "code": verdict.code,
        "leader": verdict.leader,
        "pValue": verdict.p_value,
        "statement": render(wording.verdict(verdict, what)),
    }


@operation(bp, "GET", "/<int:rule_id>/stats", summary="Sent, replied, leads and won per variant", response=StatsOut)
def rule_stats(rule_id: int):
    figures = stats.of_rule(rule_id, actor=current_actor())
    return {
        "ruleId": rule_id,
        "held": figures.held,
        "sentToday": figures.sent_today,
        "repliedToday": figures.replied_today,
        "variants": [
            {
                "id": v.variant.id,
                "label": v.variant.label,
                "paused": v.variant.paused,
                "removed": v.variant.removed_at is not None,
                "triggered": v.triggered,
                "sent": v.sent,
                "replied": v.replied,
                "leads": v.leads,
                "won": v.won,
                "replyRate": _rate(v.reply_rate),
                "winRate": _rate(v.win_rate),
            }
            for v in figures.variants
        ],
        "replies": _verdict(figures.replies, "replies"),
        "wins": _verdict(figures.wins, "wins"),
        "byDay": [{"day": day, "sent": sent} for day, sent in figures.by_day],
    }


def _variant_action(rule_id: int, variant_id: int, action: str) -> dict[str, Any]:
    actor = current_actor()
    if action == "promote":
        return rule_out(rules.promote(rule_id, variant_id, actor=actor))
    return rule_out(rules.set_variant_paused(rule_id, variant_id, action == "pause", actor=actor))


@operation(
    bp,
    "POST",
    "/<int:rule_id>/variants/<int:variant_id>/pause",
    summary="Pause a variant (422 for the last one running)",
    response=RuleOut,
    errors=(403, 422),
)
def pause_variant(rule_id: int, variant_id: int):
    return _variant_action(rule_id, variant_id, "pause")


@operation(
    bp,
    "POST",
    "/<int:rule_id>/variants/<int:variant_id>/resume",
    summary="Resume a variant",
    response=RuleOut,
    errors=(403,),
)
def resume_variant(rule_id: int, variant_id: int):
    return _variant_action(rule_id, variant_id, "resume")


@operation(
    bp,
    "POST",
    "/<int:rule_id>/variants/<int:variant_id>/promote",
    summary="Send only this variant from now on (the others are paused)",
    response=RuleOut,
    errors=(403,),
)
def promote_variant(rule_id: int, variant_id: int):
    return _variant_action(rule_id, variant_id, "promote")
