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
from core.models import Workspace
from core.scoring import reasons as reason_words
from core.scoring.formula import INTENT_SIGNALS
from core.scoring.settings import EVENT_SIGNALS, SIGNALS, ScoringSettings
from core.scoring.sql import (
    CODE,
    DIRTY_TABLE,
    TEMP_TABLE,
    counts_statement,
    create_dirty_statement,
    create_statement,
    parameters,
)
from core.services.workspaces.settings import read as read_settings

REASON_CHUNK = 5000
SIGNAL_OF_CODE = {code: signal for signal, code in CODE.items()}


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


def _facts(target_ids: list[int], params: dict[str, Any]) -> dict[int, tuple[dict, dict, list[str]]]:
    """Per target: interactions per signal, those of the last 48 h, and its distinct intent reasons,
    latest first (one index-driven query per chunk of targets)."""
    dialect = db.session.get_bind().dialect.name
    query = sa.text(counts_statement(dialect)).bindparams(sa.bindparam("ids", expanding=True))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(EVENT_SIGNALS, 0))
    recent: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(EVENT_SIGNALS, 0))
    latest: dict[int, dict[str, Any]] = defaultdict(dict)
    for start in range(0, len(target_ids), REASON_CHUNK):
        chunk = target_ids[start : start + REASON_CHUNK]
        rows = db.session.execute(query, {"ids": chunk, "ws": params["ws"], "now_ts": params["now_ts"]})
        for target_id, code, reason, n, n48, last_at in rows:
            signal = SIGNAL_OF_CODE[code]
            counts[target_id][signal] += n
            recent[target_id][signal] += n48
            if reason is not None and (reason not in latest[target_id] or last_at > latest[target_id][reason]):
                latest[target_id][reason] = last_at
    return {
        t: (counts[t], recent[t], sorted(latest[t], key=lambda reason: latest[t][reason], reverse=True)) for t in counts
    }


def _build_reasons(params: dict[str, Any]) -> dict[int, list[str]]:
    """The words of the targets that need new ones (bounded by what changed)."""
    contrib_cols = ", ".join(f"s.c_{sig}" for sig in SIGNALS)
    rows = (
        db.session.execute(
            sa.text(f"SELECT s.target_id, s.n_posts, {contrib_cols} FROM {TEMP_TABLE} s WHERE {NEEDS_REASONS}")
        )
        .mappings()
        .all()
    )
    if not rows:
        return {}
    facts = _facts([r["target_id"] for r in rows], params)
    none: tuple[dict, dict, list[str]] = (dict.fromkeys(EVENT_SIGNALS, 0), dict.fromkeys(EVENT_SIGNALS, 0), [])
    words: dict[int, list[str]] = {}
    for r in rows:
        counts, recent, intents = facts.get(r["target_id"], none)
        words[r["target_id"]] = reason_words.build(
            {sig: float(r[f"c_{sig}"] or 0) for sig in SIGNALS},
            counts,
            recent,
            int(r["n_posts"] or 0),
            intents if any(counts[s] for s in INTENT_SIGNALS) else (),
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
    from core.services.leads import intake as lead_intake

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
    words = _build_reasons(params)
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
    if became and (settings.default_template_id or settings.language_templates):
        from core.services.outreach import followups

        followups.add_hot_drafts([t for t, _, _ in became])  # drafts wait in the approval queue
    db.session.execute(sa.text(f"DROP TABLE {TEMP_TABLE}"))
    if not full:
        db.session.execute(sa.text(f"DROP TABLE {DIRTY_TABLE}"))
    db.session.commit()
    return result
