"""The automation pass: each new comment or message meets the workspace's active rules once, in priority order,
and the first that fires drafts or queues its private reply through the one sending path.

It runs right after the people it concerns were rescored (the webhook's rescore job, or a collection), so a
minimum score reads today's score. One row per interaction in automation_triggers (unique) claims it: a
duplicate webhook, a re-collection or two passes at once never trigger twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import job_names, jobs
from core.db import db, utcnow
from core.errors import VistaFlowError
from core.i18n import _
from core.models import (
    AutomationMode,
    AutomationRule,
    AutomationTrigger,
    AutomationVariant,
    DirectMessage,
    DmKind,
    DmStatus,
    DmTemplate,
    Interaction,
    Lead,
    LeadSource,
    LeadTag,
    SocialAccount,
    Target,
    TriggerOutcome,
    Workspace,
)
from core.services import audit
from core.services.automations import matching, wording
from core.services.chat import alerts as chat_alerts
from core.services.identity.actors import Actor
from core.services.leads import intake
from core.services.outreach import dms, eligibility, lifecycle, queueing, quota, templates
from core.services.targets import hot_path
from core.services.workspaces.settings import read as read_settings

log = logging.getLogger(__name__)

# Instagram's own comments-to-DM automations reply only within the private reply's 7 days.
LOOK_BACK = timedelta(days=7)
BATCH = 50  # comments a transaction: short enough that no person waits on its locks
# Meta's published pacing: 750 private replies an hour per account, so never closer than 4.8 s.
META_SPACING_SECONDS = 3600 / 750
PASS_BUDGET = timedelta(seconds=60)


@dataclass
class PassResult:
    examined: int = 0
    queued: int = 0
    drafted: int = 0
    held: int = 0
    more: bool = False  # the budget ran out with comments left: another pass follows
    queued_dm_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "queued": self.queued,
            "drafted": self.drafted,
            "held": self.held,
            "more": self.more,
        }


def active_rules(workspace_id: int) -> list[AutomationRule]:
    return list(
        db.session.scalars(
            select(AutomationRule)
            .where(AutomationRule.workspace_id == workspace_id, AutomationRule.active.is_(True))
            .order_by(AutomationRule.priority, AutomationRule.id)
        )
    )


def has_active_rules(workspace_id: int) -> bool:
    return (
        db.session.scalar(
            select(AutomationRule.id)
            .where(AutomationRule.workspace_id == workspace_id, AutomationRule.active.is_(True))
            .limit(1)
        )
        is not None
    )


def _candidates(workspace_id: int, kinds: set[str], since: datetime, after_id: int) -> list[Interaction]:
    claimed = select(AutomationTrigger.id).where(AutomationTrigger.interaction_id == Interaction.id)
    return list(
        db.session.scalars(
            select(Interaction)
            .where(
                Interaction.workspace_id == workspace_id,
                Interaction.platform == "instagram",  # TikTok offers no DM to answer with
                Interaction.received_at >= since,
                Interaction.kind.in_(sorted(kinds)),
                Interaction.target_id.is_not(None),
                Interaction.id > after_id,
                ~claimed.exists(),
            )
            .order_by(Interaction.id)
            .limit(BATCH)
        )
    )


class Pacer:
    """When each DM queued in this pass may go: spaced per account, and past today's quota, from tomorrow.

    The sending path enforces the quota and the gap whatever happens; spacing the jobs only saves a burst of
    sends from waking together to find the slot taken.
    """

    def __init__(self, workspace: Workspace, started: datetime) -> None:
        settings = read_settings(workspace.settings)
        self.workspace = workspace
        self.started = started
        self.spacing = max(float(settings.dm_min_gap_seconds), META_SPACING_SECONDS)
        self.next_index: dict[int, int] = {}
        self.room: dict[int, int] = {}

    def delay_for(self, account: SocialAccount, now: datetime) -> float:
        if account.id not in self.room:
            [gauge] = quota.usage(self.workspace, [account], now)
            waiting = db.session.scalar(
                select(sa.func.count())
                .select_from(DirectMessage)
                .where(
                    DirectMessage.social_account_id == account.id,
                    DirectMessage.status == DmStatus.APPROVED.value,
                    DirectMessage.approved_at < self.started,  # this pass's own DMs are counted by their index
                )
            )
            self.room[account.id] = max(0, gauge.remaining - int(waiting or 0))
            self.next_index[account.id] = 0
        index = self.next_index[account.id]
        self.next_index[account.id] = index + 1
        if index < self.room[account.id]:
            return index * self.spacing
        tomorrow = (quota.next_local_midnight(self.workspace, now) - now).total_seconds()
        return tomorrow + (index - self.room[account.id]) * self.spacing


@dataclass
class Pass:
    """What one pass over a workspace carries from comment to comment."""

    workspace: Workspace
    rule_ids: list[int]
    variants: dict[int, list[AutomationVariant]]
    pacer: Pacer
    result: PassResult
    now: datetime


def run_pass(workspace_id: int, *, now: datetime | None = None) -> PassResult:
    """Meet every new interaction of the workspace with its active rules (commits per interaction)."""
    result = PassResult()
    rules = active_rules(workspace_id)
    if not rules:
        return result
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None or workspace.is_suspended:
        return result
    started = utcnow()
    now = now or started
    work = Pass(workspace, [], {}, Pacer(workspace, started), result, now)
    kinds = set().union(*(matching.kinds_of(rule) for rule in rules))
    since = max(now - LOOK_BACK, min(rule.activated_at or now for rule in rules))
    after_id = 0
    while batch := _candidates(workspace_id, kinds, since, after_id):
        # Read again each batch: a rule switched off, changed or deleted meanwhile stops acting at once.
        rules = active_rules(workspace_id)
        work.rule_ids = [rule.id for rule in rules]
        work.variants = {rule.id: _variants(rule.id) for rule in rules}
        acted = []
        for interaction in batch:
            after_id = interaction.id
            acted += _meet(work, interaction.id)
        db.session.commit()  # one transaction a batch; each comment had its own savepoint
        for act in acted:
            _after_commit(work, act)
        if utcnow() - started > PASS_BUDGET:
            result.more = bool(_candidates(workspace_id, kinds, since, after_id))
            break
    return result


def _variants(rule_id: int) -> list[AutomationVariant]:
    return list(
        db.session.scalars(
            select(AutomationVariant)
            .where(AutomationVariant.rule_id == rule_id, AutomationVariant.removed_at.is_(None))
            .order_by(AutomationVariant.id)
        )
    )


@dataclass
class Acted:
    """What one comment made that needs its transaction committed first: a DM to queue, chat alerts to post."""

    dm_id: int | None
    chat_message_ids: list[int]


def _meet(work: Pass, interaction_id: int) -> list[Acted]:
    """One interaction against the rules, in a savepoint: a failure is logged and undone, never the batch's end."""
    work.result.examined += 1
    try:
        with db.session.begin_nested():
            acted = _decide_and_act(work, interaction_id)
    except IntegrityError:
        return []  # another pass claimed it first, or its comment's one reply was taken meanwhile
    except VistaFlowError as exc:
        # Held with the reason rather than left unclaimed: it would be read again at every pass for 7 days.
        log.warning("automation held interaction %s: %s", interaction_id, exc.message)
        _record_error(work, interaction_id, exc)
        return []
    return [acted] if acted is not None else []


def _record_error(work: Pass, interaction_id: int, exc: VistaFlowError) -> None:
    interaction = db.session.get(Interaction, interaction_id)
    try:
        with db.session.begin_nested():
            db.session.add(
                AutomationTrigger(
                    workspace_id=work.workspace.id,
                    interaction_id=interaction_id,
                    target_id=interaction.target_id,
                    outcome=TriggerOutcome.INELIGIBLE.value,
                    reason=wording.stored("ineligible", exc.message),
                    created_at=work.now,
                )
            )
    except IntegrityError:
        pass  # claimed meanwhile by another pass


def _after_commit(work: Pass, acted: Acted) -> None:
    if acted.dm_id is not None:
        dm = db.session.get(DirectMessage, acted.dm_id)
        if dm.status == DmStatus.APPROVED.value:
            delay = work.pacer.delay_for(db.session.get(SocialAccount, dm.social_account_id), work.now)
            try:
                queueing.send_later(dm.id, work.workspace.id, delay)
            except VistaFlowError:  # Redis down: the stranded-DM sweep queues it later
                log.warning("automatic DM %s not queued now; the stranded-DM sweep will", dm.id)
            work.result.queued_dm_ids.append(dm.id)
    for message_id in acted.chat_message_ids:
        _post_alert(message_id, work.workspace.id)


def _post_alert(message_id: int, workspace_id: int) -> None:
    try:
        jobs.enqueue(
            job_names.POST_CHAT_MESSAGE,
            message_id,
            kind="chat.post",
            queue=jobs.QUEUE_INTERACTIVE,
            workspace_id=workspace_id,
        )
    except VistaFlowError:
        log.info("automation alert %s not posted now; the alert sweep retries it", message_id)


def _decide_and_act(work: Pass, interaction_id: int) -> Acted | None:
    interaction = db.session.get(Interaction, interaction_id)
    target = db.session.get(Target, interaction.target_id)
    trigger = AutomationTrigger(
        workspace_id=work.workspace.id,
        interaction_id=interaction.id,
        target_id=target.id,
        outcome=TriggerOutcome.UNMATCHED.value,
        created_at=work.now,
    )
    db.session.add(trigger)
    db.session.flush()  # claims the interaction: a concurrent pass fails here and leaves it
    held: tuple[AutomationRule, matching.Verdict] | None = None
    for rule_id in work.rule_ids:
        rule = db.session.get(AutomationRule, rule_id)
        if rule is None or not rule.active:
            continue
        verdict = matching.judge(rule, work.workspace, interaction, target, work.now)
        if verdict.matched and verdict.outcome is None:
            break
        if verdict.matched and held is None:
            held = (rule, verdict)  # this rule is not for them; a later one may be
    else:
        if held is not None:
            rule, verdict = held
            trigger.rule_id, trigger.reason = rule.id, verdict.because
            _hold(trigger, verdict.outcome, verdict.reason, work.result)
        return None
    trigger.rule_id = rule.id
    trigger.reason = verdict.because
    variant = matching.choose(rule, work.variants[rule.id], interaction.id)
    if variant is None:
        _hold(trigger, TriggerOutcome.EXCLUDED.value, "no_variant", work.result)
        return None
    trigger.variant_id = variant.id
    return _act(rule, variant, interaction, target, trigger, work.result)


def _hold(trigger: AutomationTrigger, outcome: str, reason: str | None, result: PassResult) -> None:
    trigger.outcome, trigger.reason = outcome, reason
    result.held += 1


def _act(
    rule: AutomationRule,
    variant: AutomationVariant,
    interaction: Interaction,
    target: Target,
    trigger: AutomationTrigger,
    result: PassResult,
) -> Acted | None:
    """Draft or approve the variant's message to the person (no commit); None when something holds it back."""
    account = db.session.get(SocialAccount, interaction.social_account_id)
    actor = Actor.system(f"automation: {rule.name}"[:320])
    template = db.session.get(DmTemplate, variant.template_id) if variant.template_id else None
    if template is None:
        _hold(trigger, TriggerOutcome.EXCLUDED.value, "no_template", result)
        return None
    try:
        route = route_for(account, target, interaction)
    except eligibility.Ineligible as exc:
        _hold(trigger, TriggerOutcome.INELIGIBLE.value, wording.stored("ineligible", exc.message), result)
        return None
    text = templates.render(template.body, templates.values_for(target, account, route.comment))
    if not _set_drafts_aside(target, actor, rule.name):
        _hold(trigger, TriggerOutcome.EXCLUDED.value, "pending", result)
        return None
    automatic = rule.mode == AutomationMode.AUTOMATIC.value
    note = f"automation “{rule.name}” (rule {rule.id}, variant {variant.label})"
    dm = lifecycle.create(
        target,
        account,
        route,
        text,
        status=DmStatus.APPROVED if automatic else DmStatus.DRAFT,
        actor=actor,
        reason=note,
        template_id=template.id,
    )
    if automatic:
        dms.mark_approved(dm, actor)
    trigger.dm_id = dm.id
    trigger.outcome = (TriggerOutcome.QUEUED if automatic else TriggerOutcome.DRAFTED).value
    if rule.public_replies and _may_reply_in_public(interaction):
        trigger.public_reply_text = _next_public_reply(rule)
    if rule.create_lead or rule.lead_tag:
        intake.create_leads(rule.workspace_id, [target.id], actor=actor, source=LeadSource.AUTOMATION.value)
    if rule.lead_tag:
        _tag_lead(target.id, rule.lead_tag)
    alerts = _alert(rule, interaction, target, dm) if rule.chat_alert else []
    audit.record(
        actor,
        "automation.triggered",
        workspace_id=rule.workspace_id,
        subject_type="dm",
        subject_id=dm.id,
        details={"rule_id": rule.id, "variant": variant.label, "interaction_id": interaction.id, "mode": rule.mode},
    )
    db.session.flush()
    if automatic:
        result.queued += 1
    else:
        result.drafted += 1
    return Acted(dm.id, alerts)


def route_for(account: SocialAccount, target: Target, interaction: Interaction) -> eligibility.Route:
    """The private reply to this comment, or for a message or story reply the 24 h window only (never another
    comment's one private reply); Ineligible otherwise."""
    if interaction.kind in eligibility.COMMENT_KINDS:
        return eligibility.route_for(account, target, comment_platform_id=interaction.platform_id)
    route = eligibility.route_for(account, target)
    if route.kind != DmKind.MESSAGE.value:
        raise eligibility.WindowClosed(_("The 24-hour window of this message is closed; Instagram allows no reply."))
    return route


PENDING = (*lifecycle.OPEN, DmStatus.SENDING.value, DmStatus.UNKNOWN.value)


def _waiting(target: Target, *, lock: bool = False) -> list[DirectMessage]:
    stmt = select(DirectMessage).where(DirectMessage.target_id == target.id, DirectMessage.status.in_(PENDING))
    return list(db.session.scalars(stmt.with_for_update() if lock else stmt))


def _kept(dm: DirectMessage) -> bool:
    # Only a draft scoring made (no author) gives way; a person's draft and anything approved or sent stay.
    return dm.status != DmStatus.DRAFT.value or dm.created_by_user_id is not None


def kept_for(target: Target) -> bool:
    """Whether a DM to the person is kept that holds the rule back (the dry run asks; nothing is locked)."""
    return any(_kept(dm) for dm in _waiting(target))


def _set_drafts_aside(target: Target, actor: Actor, rule_name: str) -> bool:
    """The rule's message replaces the drafts scoring made for the person (hot-target drafts); a draft a person
    wrote, or a DM approved, on its way or of unknown outcome, is kept and the rule holds back (False)."""
    waiting = _waiting(target, lock=True)
    if any(_kept(dm) for dm in waiting):
        return False
    for dm in waiting:
        lifecycle.move(dm, DmStatus.SKIPPED, actor, f"replaced by automation “{rule_name}”")
    return True


def _alert(rule: AutomationRule, interaction: Interaction, target: Target, dm: DirectMessage) -> list[int]:
    """Record the rule's chat alert for each destination that takes automation alerts (no commit)."""
    data = {"rule": rule.name, "mode": rule.mode, "username": target.username, "said": (interaction.text or "")[:200]}
    made = []
    for destination in chat_alerts.destinations(rule.workspace_id, "automation"):
        key = f"automation:{interaction.id}"
        message_id = chat_alerts.record(
            rule.workspace_id, destination, "automation", key, target_id=target.id, dm_id=dm.id, data=data
        )
        if message_id is not None:
            made.append(message_id)
    return made


def _tag_lead(target_id: int, tag: str) -> None:
    lead_id = db.session.scalar(select(Lead.id).where(Lead.target_id == target_id))
    exists = db.session.get(LeadTag, (lead_id, tag))
    if lead_id is not None and exists is None:
        db.session.add(LeadTag(lead_id=lead_id, tag=tag))


def _may_reply_in_public(interaction: Interaction) -> bool:
    # Instagram takes public replies only under visible top-level comments.
    return interaction.kind == "comment" and not interaction.parent_platform_id and not interaction.is_hidden


def _next_public_reply(rule: AutomationRule) -> str:
    """The next text of the rule's public replies, in turn, so Instagram never sees the same one a hundred times."""
    t = AutomationRule.__table__
    turn = db.session.execute(
        sa.update(t)
        .where(t.c.id == rule.id)
        .values(public_reply_turn=t.c.public_reply_turn + 1)
        .returning(t.c.public_reply_turn)
    ).scalar_one()
    return rule.public_replies[(turn - 1) % len(rule.public_replies)]


def after_rescore(workspace_id: int) -> dict[str, Any]:
    """The pass for a workspace whose people were just rescored; a pass cut short by its budget queues the next."""
    if not has_active_rules(workspace_id):
        return {}
    result = run_pass(workspace_id)
    if result.more:
        hot_path.rescore_soon([workspace_id])
    return {"automations": result.as_dict()}
