"""Rescoring a workspace in the database: one aggregate statement, one UPDATE, then the crossings.

Full mode rescores every target (the hourly pass that applies decay); incremental mode only the
targets flagged `needs_rescore` at ingest. Reasons in words are rebuilt in Python only for targets
whose score, hot state or interactions changed. Each crossing into hot emits one `target.hot`
and, when the workspace enables it, creates a lead.
"""

# The SQL is assembled from module constants and signal names only; values are always bound.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from core import events
from core.db import UTCDateTime, db, utcnow
from core.models import Interaction, Workspace
from core.scoring import reasons as reason_words
from core.scoring.settings import EVENT_SIGNALS, SIGNALS, ScoringSettings
from core.scoring.sql import DIRTY_TABLE, TEMP_TABLE, create_dirty_statement, create_statement, parameters
from core.workspace_settings import read as read_settings

REASON_CHUNK = 5000


@dataclass
class RescoreResult:
    scored: int = 0
    changed: int = 0
    became_hot: int = 0
    left_hot: int = 0
    leads_created: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


UPDATE_TARGETS = f"""
UPDATE targets SET
    score = s.score,
    score_breakdown = s.breakdown,
    is_hot = s.new_hot,
    hot_since = CASE WHEN s.new_hot AND NOT s.old_hot THEN :now WHEN s.new_hot THEN targets.hot_since ELSE NULL END,
    scored_at = :now,
    -- An interaction stored meanwhile bumped the counter: leave the flag for the next pass.
    needs_rescore = CASE WHEN targets.interactions_count = s.old_ic THEN false ELSE true END
FROM {TEMP_TABLE} s
WHERE targets.id = s.target_id
  AND (targets.score <> s.score OR targets.is_hot <> s.new_hot OR s.old_dirty OR targets.score_breakdown <> s.breakdown)
"""

# Rows whose words may change: the score moved, the hot state flipped, or new interactions came.
NEEDS_REASONS = "s.score <> s.old_score OR s.new_hot <> s.old_hot OR s.old_dirty"


def _reasons_update(dialect: str) -> str:
    source = "jsonb_each(CAST(:payload AS jsonb)) AS j" if dialect == "postgresql" else "json_each(:payload) AS j"
    return f"UPDATE targets SET score_reasons = j.value FROM {source} WHERE targets.id = CAST(j.key AS INTEGER)"


def _intent_reasons(target_ids: list[int]) -> dict[int, list[str]]:
    """Distinct intent reasons of each target, latest first."""
    found: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(target_ids), REASON_CHUNK):
        chunk = target_ids[start : start + REASON_CHUNK]
        rows = db.session.execute(
            sa.select(Interaction.target_id, Interaction.intent_reason, sa.func.max(Interaction.occurred_at))
            .where(Interaction.target_id.in_(chunk), Interaction.has_intent, Interaction.intent_reason.is_not(None))
            .group_by(Interaction.target_id, Interaction.intent_reason)
            .order_by(Interaction.target_id, sa.func.max(Interaction.occurred_at).desc())
        )
        for target_id, reason, _ in rows:
            found[target_id].append(reason)
    return found


def _build_reasons() -> dict[int, list[str]]:
    """The words of the targets that need new ones (bounded by what changed)."""
    counts_cols = ", ".join(f"s.n_{sig}, s.n48_{sig}" for sig in EVENT_SIGNALS)
    contrib_cols = ", ".join(f"s.c_{sig}" for sig in SIGNALS)
    rows = (
        db.session.execute(
            sa.text(
                f"SELECT s.target_id, s.n_posts, {counts_cols}, {contrib_cols} FROM {TEMP_TABLE} s "
                f"WHERE {NEEDS_REASONS}"
            )
        )
        .mappings()
        .all()
    )
    if not rows:
        return {}
    intents = _intent_reasons([r["target_id"] for r in rows if r["n_intent"]])
    words: dict[int, list[str]] = {}
    for r in rows:
        words[r["target_id"]] = reason_words.build(
            {sig: float(r[f"c_{sig}"] or 0) for sig in SIGNALS},
            {sig: int(r[f"n_{sig}"] or 0) for sig in EVENT_SIGNALS},
            {sig: int(r[f"n48_{sig}"] or 0) for sig in EVENT_SIGNALS},
            int(r["n_posts"] or 0),
            intents.get(r["target_id"], ()),
        )
    return words


def _crossings() -> tuple[list[tuple[int, int, int]], int]:
    became = db.session.execute(
        sa.text(
            f"SELECT s.target_id, s.score, t.social_account_id FROM {TEMP_TABLE} s "
            "JOIN targets t ON t.id = s.target_id WHERE s.new_hot AND NOT s.old_hot ORDER BY s.target_id"
        )
    ).all()
    left = db.session.scalar(sa.text(f"SELECT count(*) FROM {TEMP_TABLE} s WHERE s.old_hot AND NOT s.new_hot"))
    return [tuple(row) for row in became], int(left or 0)


def rescore_workspace(workspace_id: int, *, full: bool, now: Any = None) -> RescoreResult:
    """Recompute scores, hot states and reasons of a workspace's targets (all, or only the flagged
    ones), emit target.hot per crossing and make auto leads; commits. Returns the counts."""
    from core.services import lead_intake

    now = now or utcnow()
    # Serialise rescores of one workspace, so a crossing is seen (and announced) exactly once.
    # NO KEY UPDATE does not block inserts that reference the workspace (ingest keeps running).
    workspace = db.session.scalar(
        sa.select(Workspace).where(Workspace.id == workspace_id).with_for_update(key_share=True)
    )
    if workspace is None:
        return RescoreResult()
    settings = read_settings(workspace.settings)
    scoring: ScoringSettings = settings.scoring
    dialect = db.session.get_bind().dialect.name
    params = parameters(workspace_id, scoring, now.timestamp())

    if dialect == "postgresql":
        # The per-day and per-post aggregates spill to disk with the default 4 MB on big workspaces;
        # JIT compiling the wide aggregate costs more (up to seconds) than it saves on these row counts.
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(sa.text("SET LOCAL jit = off"))
    db.session.execute(sa.text(f"DROP TABLE IF EXISTS {TEMP_TABLE}"))
    if not full:
        db.session.execute(sa.text(f"DROP TABLE IF EXISTS {DIRTY_TABLE}"))
        db.session.execute(sa.text(create_dirty_statement()), params)
        if dialect == "postgresql":
            # Real row counts, so a few flagged targets are read through the (target_id, occurred_at)
            # index instead of a scan of the workspace's interactions.
            db.session.execute(sa.text(f"ANALYZE {DIRTY_TABLE}"))
    db.session.execute(sa.text(create_statement(dialect, incremental=not full)), params)
    result = RescoreResult(scored=int(db.session.scalar(sa.text(f"SELECT count(*) FROM {TEMP_TABLE}")) or 0))
    became, result.left_hot = _crossings()
    result.became_hot = len(became)
    words = _build_reasons()
    update = sa.text(UPDATE_TARGETS).bindparams(sa.bindparam("now", type_=UTCDateTime()))
    result.changed = db.session.execute(update, {"now": now}).rowcount or 0
    if words:
        # One statement for every changed target, from a JSON document {id: [words]}.
        payload = json.dumps({str(k): v for k, v in words.items()})
        db.session.execute(sa.text(_reasons_update(dialect)), {"payload": payload})
    for target_id, score, account_id in became:
        events.emit(
            "target.hot",
            workspace_id,
            {
                "target_id": target_id,
                "social_account_id": account_id,
                "score": score,
                "reasons": words.get(target_id, []),
            },
            ordering_key=f"target:{target_id}",
        )
    if became and settings.auto_lead_from_hot:
        result.leads_created = len(lead_intake.auto_leads_from_hot(workspace_id, [t for t, _, _ in became]))
    if became and settings.default_template_id:
        from core.services.outreach import followups

        followups.add_hot_drafts([t for t, _, _ in became])  # drafts wait in the approval queue
    db.session.execute(sa.text(f"DROP TABLE {TEMP_TABLE}"))
    if not full:
        db.session.execute(sa.text(f"DROP TABLE {DIRTY_TABLE}"))
    db.session.commit()
    return result
