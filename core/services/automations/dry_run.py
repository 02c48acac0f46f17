"""The dry run: which of the last 7 days' comments a rule would have answered, and how, before it is switched on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from core.db import db, utcnow
from core.models import AutomationVariant, DmTemplate, Interaction, SocialAccount, Target, Workspace
from core.services.automations import matching, rules, runner, wording
from core.services.identity.actors import Actor
from core.services.outreach import eligibility

MAX_EXAMINED = 2000
MAX_SHOWN = 200


@dataclass
class Row:
    interaction: Interaction
    target: Target
    outcome: str  # "would_send", "would_draft", "excluded", "ineligible"
    because: str | None
    reason: str | None
    variant: AutomationVariant | None


@dataclass
class DryRun:
    examined: int = 0
    matched: int = 0
    would_act: int = 0
    held: int = 0
    rows: list[Row] = field(default_factory=list)


def run(rule_id: int, *, actor: Actor, workspace_id: int | None = None, now: datetime | None = None) -> DryRun:
    """Meet the last 7 days' interactions with this rule alone, as the live pass would now; nothing is written."""
    rule = rules.get(rule_id, actor=actor, workspace_id=workspace_id)
    now = now or utcnow()
    workspace = db.session.get(Workspace, rule.workspace_id)
    variants = rules.variants_of(rule.id)
    found = db.session.scalars(
        select(Interaction)
        .where(
            Interaction.workspace_id == rule.workspace_id,
            Interaction.received_at >= now - runner.LOOK_BACK,
            Interaction.occurred_at >= now - runner.LOOK_BACK,  # what the platform still lets us answer
            Interaction.kind.in_(sorted(matching.kinds_of(rule))),
            Interaction.target_id.is_not(None),
        )
        .order_by(Interaction.received_at.desc(), Interaction.id.desc())
        .limit(MAX_EXAMINED)
    ).all()
    people = {t.id: t for t in db.session.scalars(select(Target).where(Target.id.in_({i.target_id for i in found})))}
    result = DryRun(examined=len(found))
    for interaction in found:
        target = people[interaction.target_id]
        verdict = matching.judge(rule, workspace, interaction, target, now, live=False)
        if not verdict.matched:
            continue
        result.matched += 1
        row = Row(interaction, target, verdict.outcome or "", verdict.because, verdict.reason, None)
        if not verdict.outcome:
            row.variant = matching.choose(rule, variants, interaction.id)
            row.outcome, row.reason = _what_it_would_do(rule.mode, row.variant, interaction, target)
        if row.outcome.startswith("would"):
            result.would_act += 1
        else:
            result.held += 1
        if len(result.rows) < MAX_SHOWN:
            result.rows.append(row)
    return result


def _what_it_would_do(
    mode: str, variant: AutomationVariant | None, interaction: Interaction, target: Target
) -> tuple[str, str | None]:
    """The live pass's checks, in its order, without writing anything."""
    if variant is None:
        return "excluded", "no_variant"
    if variant.template_id is None or db.session.get(DmTemplate, variant.template_id) is None:
        return "excluded", "no_template"
    account = db.session.get(SocialAccount, interaction.social_account_id)
    try:
        runner.route_for(account, target, interaction)
    except eligibility.Ineligible as exc:
        return "ineligible", wording.stored("ineligible", exc.message)
    if runner.kept_for(target):
        return "excluded", "pending"
    return ("would_send" if mode == "automatic" else "would_draft"), None
