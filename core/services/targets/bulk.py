"""Acting on many targets at once: make them leads, draft each a DM from a template, or enrol them in a sequence.

The people are the ticked ones or every one matching the list's filters (at most MAX_BULK). An id
outside the workspace fails the whole request and nothing changes; a person the rules refuse (opted
out, no open window, already a lead) is skipped with the reason, and the others go ahead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from core.db import db
from core.errors import Invalid, NotFound, VistaFlowError
from core.i18n import _
from core.models import DirectMessage, DmStatus, DmTemplate, LeadSource, Role, Sequence, Target
from core.services import audit
from core.services.identity.access import require_active, require_role
from core.services.identity.actors import Actor
from core.services.leads import intake as lead_intake
from core.services.outreach import dms, sequences
from core.services.targets import read as targets

MAX_BULK = 500
PAGE = 200  # the list's largest page
ALREADY_LEAD = _("already a lead")
ALREADY_DRAFTED = _("already has a DM waiting for approval")


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # target id -> why

    def reasons(self) -> list[tuple[Any, int]]:
        """Why people were skipped (as core worded it, for the door to render), most common first."""
        counts = Counter(str(reason) for reason in self.skipped.values())
        worded = {str(reason): reason for reason in self.skipped.values()}
        return [(worded[key], count) for key, count in counts.most_common()]


def matching_ids(workspace_id: int, filters: targets.TargetFilters, *, actor: Actor) -> list[int]:
    """Every target the list shows for `filters` (all pages), in its order; Invalid past MAX_BULK."""
    ids: list[int] = []
    cursor = None
    while len(ids) <= MAX_BULK:
        page = targets.page(workspace_id, actor=actor, filters=filters, cursor=cursor, limit=PAGE)
        ids += [target.id for target in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    if len(ids) > MAX_BULK:
        raise Invalid(
            _("Too many people match at once."),
            fields={"target_ids": _("At most %(max_bulk)s at once: narrow the filters.", max_bulk=MAX_BULK)},
        )
    return ids


def _checked(workspace_id: int, target_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(target_ids))
    if not ids:
        raise Invalid(_("Select at least one person."), fields={"target_ids": _("Select at least one person.")})
    if len(ids) > MAX_BULK:
        raise Invalid(
            _("Too many people at once."),
            fields={"target_ids": _("At most %(max_bulk)s at once.", max_bulk=MAX_BULK)},
        )
    found = db.session.scalar(
        select(func.count()).select_from(Target).where(Target.id.in_(ids), Target.workspace_id == workspace_id)
    )
    if found != len(ids):
        raise NotFound(_("Target not found."), fields={"target_ids": _("Some ids are not people of this workspace.")})
    return ids


def make_leads(workspace_id: int, target_ids: list[int], *, actor: Actor) -> BulkOutcome:
    """Make each person a lead (status new) in one transaction; those already leads are skipped."""
    require_active(require_role(workspace_id, actor, Role.MEMBER))
    ids = _checked(workspace_id, target_ids)
    created = lead_intake.create_leads(workspace_id, ids, actor=actor, source=LeadSource.MANUAL.value)
    made = {target_id for _lead, target_id in created}
    outcome = BulkOutcome(done=[t for t in ids if t in made], skipped={t: ALREADY_LEAD for t in ids if t not in made})
    _audit(actor, workspace_id, "targets.bulk_made_leads", outcome)
    return outcome


def draft_dms(workspace_id: int, target_ids: list[int], *, template_id: int | None, actor: Actor) -> BulkOutcome:
    """Draft each person a DM from the template, by the sending rules; each draft is its own transaction."""
    require_active(require_role(workspace_id, actor, Role.MEMBER))
    ids = _checked(workspace_id, target_ids)
    template = db.session.get(DmTemplate, template_id) if template_id else None
    if template is None or template.workspace_id != workspace_id:
        raise Invalid(_("Unknown template."), fields={"template_id": _("Choose a template of this workspace.")})
    waiting = set(
        db.session.scalars(
            select(DirectMessage.target_id).where(
                DirectMessage.target_id.in_(ids), DirectMessage.status == DmStatus.DRAFT.value
            )
        )
    )
    outcome = BulkOutcome(skipped={t: ALREADY_DRAFTED for t in ids if t in waiting})
    todo = [t for t in ids if t not in waiting]
    _one_by_one(todo, lambda t: dms.create_draft(t, actor=actor, template_id=template.id), outcome)
    _audit(actor, workspace_id, "targets.bulk_drafted_dms", outcome, template_id=template.id)
    return outcome


def _one_by_one(ids: list[int], act: Callable[[int], Any], outcome: BulkOutcome) -> None:
    """Run `act` for each person in its own transaction; a refusal skips that person only, with the reason."""
    for target_id in ids:
        try:
            act(target_id)
        except VistaFlowError as exc:  # opted out, no open window, already enrolled...: the others go ahead
            db.session.rollback()
            outcome.skipped[target_id] = exc.message
            continue
        outcome.done.append(target_id)


def _audit(actor: Actor, workspace_id: int, action: str, outcome: BulkOutcome, **details: Any) -> None:
    audit.record(
        actor,
        action,
        workspace_id=workspace_id,
        subject_type="target",
        details={"done": len(outcome.done), "skipped": len(outcome.skipped), **details},
    )
    db.session.commit()


def enrol(workspace_id: int, target_ids: list[int], *, sequence_id: int | None, actor: Actor) -> BulkOutcome:
    """Enrol each person in the sequence (its first step goes by the sending rules); each is its own transaction."""
    require_active(require_role(workspace_id, actor, Role.MEMBER))
    ids = _checked(workspace_id, target_ids)
    sequence = db.session.get(Sequence, sequence_id) if sequence_id else None
    if sequence is None or sequence.workspace_id != workspace_id:
        raise Invalid(_("Unknown sequence."), fields={"sequence_id": _("Choose a sequence of this workspace.")})
    outcome = BulkOutcome()
    _one_by_one(ids, lambda t: sequences.enroll(sequence.id, t, actor=actor), outcome)
    _audit(actor, workspace_id, "targets.bulk_enrolled", outcome, sequence_id=sequence.id)
    return outcome
