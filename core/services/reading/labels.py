"""A person's reading of one interaction: it overrides the reader at once and teaches the workspace's version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core import job_names, jobs
from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import _
from core.intent import classify
from core.intent.explain import GENERIC, REASON_LENGTH, SEPARATOR
from core.models import Interaction, InteractionLabel, LabelKind, Role, Target, Workspace
from core.services import audit
from core.services.identity.access import get_scoped, require_active
from core.services.identity.actors import Actor
from core.services.privacy import contact_policy
from core.services.targets.rescore import rescore_workspace

# Labels given in a row are learned together: the retraining starts a little after the last one.
RETRAIN_DELAY = timedelta(seconds=20)
MARKED_BUYER = "marked a buyer by the team"


@dataclass(frozen=True)
class Labelled:
    interaction: Interaction
    label: str
    score: int | None
    opted_out: bool


def _parse(label: str) -> LabelKind:
    try:
        return LabelKind(label)
    except ValueError:
        raise Invalid(
            _("Unknown label."), fields={"label": _("One of not_buyer, buyer, not_opt_out, opt_out.")}
        ) from None


def _read_as(interaction: Interaction, label: LabelKind) -> None:
    if label is LabelKind.OPT_OUT:
        interaction.is_opt_out, interaction.has_intent, interaction.intent_reason = True, False, None
    elif label is LabelKind.NOT_OPT_OUT:
        interaction.is_opt_out = False
    elif label is LabelKind.NOT_BUYER:
        interaction.has_intent, interaction.intent_reason = False, None
    else:
        interaction.has_intent, interaction.is_opt_out = True, False
        reading = classify(interaction.text)
        if reading.reasons:
            interaction.intent_reason = reading.reasons[0][:REASON_LENGTH]
        else:
            quote = " ".join((interaction.text or "").split())[: REASON_LENGTH - len(MARKED_BUYER) - 4]
            interaction.intent_reason = f"{MARKED_BUYER}{SEPARATOR}{quote}”" if quote else GENERIC


def label_interaction(interaction_id: int, label: str, *, actor: Actor, workspace_id: int | None = None) -> Labelled:
    """Record the label, read the interaction that way, rescore the person now; "opt_out" also adds them
    to the do-not-contact list. The workspace's reader is retrained a little later (commits)."""
    interaction = get_scoped(
        Interaction, interaction_id, actor, Role.MEMBER, what="Interaction", workspace_id=workspace_id
    )
    kind = _parse(label)
    require_active(db.session.get(Workspace, interaction.workspace_id))
    existing = db.session.scalar(db.select(InteractionLabel).where(InteractionLabel.interaction_id == interaction.id))
    if existing is None:
        existing = InteractionLabel(workspace_id=interaction.workspace_id, interaction_id=interaction.id)
        db.session.add(existing)
    existing.label, existing.labelled_by_user_id, existing.created_at = kind.value, actor.user_id, utcnow()
    _read_as(interaction, kind)
    target = db.session.get(Target, interaction.target_id) if interaction.target_id else None
    opted_out, unblocked = False, False
    if target is not None:
        target.needs_rescore = True
        if kind is LabelKind.OPT_OUT:
            opted_out = contact_policy.block(target, "opt_out")
        elif kind is LabelKind.NOT_OPT_OUT:
            unblocked = contact_policy.unblock_misread(target)
    audit.record(
        actor,
        "interaction.labelled",
        workspace_id=interaction.workspace_id,
        subject_type="interaction",
        subject_id=interaction.id,
        details={"label": kind.value, "target_id": interaction.target_id, "unblocked": unblocked},
    )
    db.session.commit()
    rescore_workspace(interaction.workspace_id, full=False)
    jobs.enqueue_in(
        job_names.RETRAIN_READER,
        interaction.workspace_id,
        delay=RETRAIN_DELAY,
        kind="retrain_reader",
        workspace_id=interaction.workspace_id,
        requested_by=actor.user_id,
    )
    score = db.session.get(Target, target.id).score if target is not None else None
    return Labelled(interaction, kind.value, score, opted_out)


def of(interaction_ids: list[int]) -> dict[int, str]:
    """The team's label of each of these interactions that has one."""
    if not interaction_ids:
        return {}
    rows = db.session.execute(
        db.select(InteractionLabel.interaction_id, InteractionLabel.label).where(
            InteractionLabel.interaction_id.in_(interaction_ids)
        )
    )
    return {row[0]: row[1] for row in rows}


def count(workspace_id: int) -> int:
    """How many interactions of the workspace the team labelled."""
    return int(
        db.session.scalar(
            db.select(db.func.count())
            .select_from(InteractionLabel)
            .where(InteractionLabel.workspace_id == workspace_id)
        )
        or 0
    )
