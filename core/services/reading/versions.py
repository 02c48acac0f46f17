"""Each workspace's reader: retrained from its labels by a job, versioned, one version active, rollback.

A version is a core.intent.adjustment over the shipped model. Only the workspace's own labels train
it and only that workspace's readings use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache, lru_cache

import numpy as np
import sqlalchemy as sa

from core import job_names, jobs
from core.db import db
from core.errors import Conflict
from core.i18n import _
from core.intent import classify_many
from core.intent.adjustment import INTENT, OPT_OUT, Adjustment, fit_part
from core.intent.corpus import TRAIN, read_folder
from core.intent.evaluate import Counts
from core.intent.model import shipped
from core.models import Interaction, InteractionLabel, LabelKind, ReaderVersion, Role, Workspace
from core.services import audit
from core.services.identity.access import require_role
from core.services.identity.actors import Actor

ANCHORS = 800
FOLDS = 5
MIN_LABELS_FOR_QUALITY = 10

_INTENT = {LabelKind.BUYER.value: True, LabelKind.NOT_BUYER.value: False, LabelKind.OPT_OUT.value: False}
_OPT_OUT = {LabelKind.OPT_OUT.value: True, LabelKind.NOT_OPT_OUT.value: False, LabelKind.BUYER.value: False}


@cache
def _anchors() -> tuple[tuple[str, bool, bool], ...]:
    """An even sample of the shipped corpus that keeps a version close to the shipped model."""
    examples = read_folder(TRAIN)
    step = max(1, len(examples) // ANCHORS)
    return tuple((e.text, e.intent, e.opt_out) for e in examples[::step])


def _labels(workspace_id: int) -> list[tuple[int, str, str]]:
    rows = db.session.execute(
        sa.select(InteractionLabel.interaction_id, InteractionLabel.label, Interaction.text)
        .join(Interaction, Interaction.id == InteractionLabel.interaction_id)
        .where(InteractionLabel.workspace_id == workspace_id, Interaction.text.is_not(None))
        .order_by(InteractionLabel.interaction_id)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows if r[2].strip()]


def fit(labels: Sequence[tuple[str, str]]) -> Adjustment:
    """The adjustment that (text, label) pairs ask for."""
    model = shipped()
    anchors = _anchors()
    intent = [(text, _INTENT[label]) for text, label in labels if label in _INTENT]
    opt_out = [(text, _OPT_OUT[label]) for text, label in labels if label in _OPT_OUT]
    return Adjustment(
        fit_part(model, INTENT, intent, [(text, is_intent) for text, is_intent, _opt in anchors]),
        fit_part(model, OPT_OUT, opt_out, [(text, is_opt) for text, _intent, is_opt in anchors]),
    )


def _f1(pairs: Sequence[tuple[str, bool]], adjustment: Adjustment | None) -> float:
    counts = Counts()
    readings = classify_many([text for text, _truth in pairs], adjustment)
    for (_text, truth), reading in zip(pairs, readings, strict=True):
        counts.add(truth, reading.has_intent)
    return round(counts.f1, 3)


def quality(labels: Sequence[tuple[str, str]]) -> dict[str, float | int]:
    """Intent F1 on the labels of the shipped model and, cross-validated, of a version trained on the others."""
    intent_labels = [(text, label) for text, label in labels if label in _INTENT]
    if len(intent_labels) < MIN_LABELS_FOR_QUALITY or len({_INTENT[label] for _, label in intent_labels}) < 2:
        return {"labels": len(intent_labels)}
    fold_of = np.random.default_rng(0).permutation(len(intent_labels)) % FOLDS
    counts = Counts()
    for fold in range(FOLDS):
        held = [pair for pair, f in zip(intent_labels, fold_of, strict=True) if f == fold]
        kept = [pair for pair, f in zip(intent_labels, fold_of, strict=True) if f != fold]
        readings = classify_many([text for text, _label in held], fit(kept))
        for (_text, label), reading in zip(held, readings, strict=True):
            counts.add(_INTENT[label], reading.has_intent)
    shipped_f1 = _f1([(text, _INTENT[label]) for text, label in intent_labels], None)
    return {"labels": len(intent_labels), "intent_f1_shipped": shipped_f1, "intent_f1_version": round(counts.f1, 3)}


def _fingerprint(labels: Sequence[tuple[int, str, str]]) -> str:
    return hashlib.sha256("\n".join(f"{i}:{label}" for i, label, _ in labels).encode()).hexdigest()[:16]


def retrain(workspace_id: int) -> ReaderVersion | None:
    """Train a new version from the workspace's labels and make it active; nothing new, nothing done (commits)."""
    workspace = db.session.scalar(
        sa.select(Workspace).where(Workspace.id == workspace_id).with_for_update(key_share=True)
    )
    if workspace is None:
        return None
    labels = _labels(workspace_id)
    latest = db.session.scalar(
        sa.select(ReaderVersion)
        .where(ReaderVersion.workspace_id == workspace_id)
        .order_by(ReaderVersion.version.desc())
    )
    fingerprint = _fingerprint(labels)
    if not labels or (latest is not None and (latest.quality or {}).get("fingerprint") == fingerprint):
        db.session.commit()
        return None
    pairs = [(text, label) for _, label, text in labels]
    adjustment = fit(pairs)
    db.session.execute(
        sa.update(ReaderVersion).where(ReaderVersion.workspace_id == workspace_id).values(is_active=False)
    )
    version = ReaderVersion(
        workspace_id=workspace_id,
        version=(latest.version if latest else 0) + 1,
        labels=len(labels),
        weights=adjustment.to_json(),
        quality={**quality(pairs), "fingerprint": fingerprint},
        is_active=True,
    )
    db.session.add(version)
    audit.record(
        Actor.system(),
        "reader.retrained",
        workspace_id=workspace_id,
        subject_type="reader_version",
        subject_id=version.version,
        details={"labels": len(labels)},
    )
    db.session.commit()
    return version


@lru_cache(maxsize=256)
def _adjustment(version_id: int, created_at: datetime) -> Adjustment:
    # Versions never change once written; with the time it was made, an id a database handed out again (SQLite
    # after a deletion, a test database) never finds another version's weights.
    return Adjustment.from_json(db.session.get(ReaderVersion, version_id).weights)


def adjustment_for(workspace_id: int) -> Adjustment | None:
    """The active version's correction of the workspace, or None (the shipped model reads alone)."""
    active = db.session.execute(
        sa.select(ReaderVersion.id, ReaderVersion.created_at).where(
            ReaderVersion.workspace_id == workspace_id, ReaderVersion.is_active
        )
    ).first()
    return _adjustment(active.id, active.created_at) if active is not None else None


def history(workspace_id: int, *, actor: Actor) -> list[ReaderVersion]:
    """The workspace's versions, newest first."""
    require_role(workspace_id, actor, Role.MEMBER)
    return list(
        db.session.scalars(
            sa.select(ReaderVersion)
            .where(ReaderVersion.workspace_id == workspace_id)
            .order_by(ReaderVersion.version.desc())
        )
    )


def rollback(workspace_id: int, *, actor: Actor) -> ReaderVersion | None:
    """Go back one version (or to the shipped model from the first); returns the version now active (commits)."""
    require_role(workspace_id, actor, Role.ADMIN)
    db.session.scalar(sa.select(Workspace).where(Workspace.id == workspace_id).with_for_update(key_share=True))
    active = db.session.scalar(
        sa.select(ReaderVersion).where(ReaderVersion.workspace_id == workspace_id, ReaderVersion.is_active)
    )
    if active is None:
        raise Conflict(_("The workspace already reads with the shipped model."))
    previous = db.session.scalar(
        sa.select(ReaderVersion)
        .where(ReaderVersion.workspace_id == workspace_id, ReaderVersion.version < active.version)
        .order_by(ReaderVersion.version.desc())
    )
    active.is_active = False
    db.session.flush()
    if previous is not None:
        previous.is_active = True
    audit.record(
        actor,
        "reader.rolled_back",
        workspace_id=workspace_id,
        subject_type="reader_version",
        subject_id=active.version,
        details={"now": previous.version if previous else None},
    )
    db.session.commit()
    # The recent interactions are read again with what is active now, in the background.
    jobs.enqueue_in(
        job_names.READ_AGAIN,
        workspace_id,
        delay=timedelta(0),
        kind="reader.read_again",
        queue=jobs.QUEUE_BULK,
        workspace_id=workspace_id,
        requested_by=actor.user_id,
    )
    return previous
