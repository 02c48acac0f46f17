"""The set-based rescore statement: one aggregate over a workspace's interactions into a temp table.

The same SQL runs on PostgreSQL and SQLite; only the epoch expression and the JSON builder differ
(SQLite gets power/floor/least/greatest from core.scoring.sqlite_functions).
"""

# The SQL is assembled from module constants and signal names only; values are always bound.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from core.scoring.formula import DAY, ENGAGEMENT_SIGNALS, OPT_OUT_KINDS
from core.scoring.settings import CAPPED_GROUPS, EVENT_SIGNALS, GROUPS, SIGNALS, ScoringSettings

TEMP_TABLE = "vf_score_new"

_EPOCH = {
    "postgresql": "date_part('epoch', i.occurred_at)",
    "sqlite": "((julianday(i.occurred_at) - 2440587.5) * 86400.0)",
}
_JSON_OBJECT = {"postgresql": "jsonb_build_object", "sqlite": "json_object"}


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _signal_case() -> str:
    # Same order as formula.signal_of.
    return f"""CASE
        WHEN i.is_opt_out AND i.kind IN ({_quoted(OPT_OUT_KINDS)}) THEN 'opt_out'
        WHEN i.is_hidden THEN 'hidden'
        WHEN i.kind = 'message' THEN 'message'
        WHEN i.kind IN ('story_reply', 'story_mention') THEN 'story'
        WHEN i.has_intent THEN 'intent'
        WHEN i.kind = 'reply' THEN 'reply'
        WHEN i.kind = 'mention' THEN 'mention'
        ELSE 'comment' END"""


def _decay(ts: str) -> str:
    return f"power(0.5, (CASE WHEN :now_ts > {ts} THEN :now_ts - {ts} ELSE 0 END) / :half_life_s)"


def create_statement(dialect: str, *, incremental: bool) -> str:
    """CREATE TEMP TABLE vf_score_new AS (new score, breakdown and facts per target)."""
    dirty_i = "AND i.target_id IN (SELECT d.id FROM targets d WHERE d.workspace_id = :ws AND d.needs_rescore)"
    per_signal = ",\n".join(
        f"sum(CASE WHEN sig = '{s}' THEN d * least(n, :cap_{s}) / n ELSE 0.0 END) AS r_{s}, "
        f"CAST(sum(CASE WHEN sig = '{s}' THEN n ELSE 0 END) AS INTEGER) AS n_{s}, "
        f"CAST(sum(CASE WHEN sig = '{s}' THEN n48 ELSE 0 END) AS INTEGER) AS n48_{s}"
        for s in EVENT_SIGNALS
    )
    raw_cols = ",\n".join(
        [f"coalesce(a.r_{s}, 0) * :w_{s} AS r_{s}" for s in EVENT_SIGNALS]
        + ["coalesce(p.r_repeat, 0) * :w_repeat_posts AS r_repeat_posts"]
        + [f"coalesce(a.n_{s}, 0) AS n_{s}, coalesce(a.n48_{s}, 0) AS n48_{s}" for s in EVENT_SIGNALS]
        + ["coalesce(p.n_posts, 0) AS n_posts"]
    )
    group_totals = ",\n".join(f"({' + '.join('r_' + s for s in GROUPS[g])}) AS g_{g}" for g in GROUPS)
    scaled = []
    for group, members in GROUPS.items():
        for s in members:
            if group in CAPPED_GROUPS:
                scaled.append(
                    f"CASE WHEN g_{group} > :gcap_{group} THEN r_{s} * :gcap_{group} / g_{group} "
                    f"ELSE r_{s} END AS c_{s}"
                )
            else:
                scaled.append(f"r_{s} AS c_{s}")
    total = " + ".join(
        [f"least(g_{g}, :gcap_{g})" for g in CAPPED_GROUPS] + [f"g_{g}" for g in GROUPS if g not in CAPPED_GROUPS]
    )
    facts = ", ".join([f"n_{s}, n48_{s}" for s in EVENT_SIGNALS] + ["n_posts"])
    breakdown = (
        f"{_JSON_OBJECT[dialect]}(" + ", ".join(f"'{s}', round(CAST(c_{s} AS NUMERIC), 1)" for s in SIGNALS) + ")"
    )
    return f"""
CREATE TEMP TABLE {TEMP_TABLE} AS
WITH r AS (
    SELECT i.target_id AS target_id, {_EPOCH[dialect]} AS ts, {_signal_case()} AS sig, i.media_id AS media_id
    FROM interactions i
    WHERE i.workspace_id = :ws AND i.target_id IS NOT NULL {dirty_i if incremental else ""}
),
l1 AS (
    SELECT target_id, sig, floor(ts / {DAY}) AS day,
           CASE WHEN sig IN ({_quoted(ENGAGEMENT_SIGNALS)}) THEN media_id END AS post,
           CAST(count(*) AS INTEGER) AS n, sum({_decay("ts")}) AS d, max(ts) AS last_ts,
           CAST(sum(CASE WHEN ts >= :now_ts - {2 * DAY} THEN 1 ELSE 0 END) AS INTEGER) AS n48
    FROM r GROUP BY 1, 2, 3, 4
),
days AS (
    SELECT target_id, sig, CAST(sum(n) AS INTEGER) AS n, sum(d) AS d, CAST(sum(n48) AS INTEGER) AS n48
    FROM l1 GROUP BY 1, 2, day
),
agg AS (
    SELECT target_id,
{per_signal}
    FROM days GROUP BY target_id
),
posts AS (
    SELECT target_id, {_decay("max(last_ts)")} AS pd FROM l1 WHERE post IS NOT NULL GROUP BY target_id, post
),
rep AS (
    SELECT target_id, sum(pd) - max(pd) AS r_repeat, CAST(count(*) AS INTEGER) AS n_posts FROM posts GROUP BY 1
),
raw AS (
    SELECT t.id AS target_id, t.score AS old_score, t.is_hot AS old_hot, t.interactions_count AS old_ic,
           t.needs_rescore AS old_dirty,
{raw_cols}
    FROM targets t
    LEFT JOIN agg a ON a.target_id = t.id
    LEFT JOIN rep p ON p.target_id = t.id
    WHERE t.workspace_id = :ws {"AND t.needs_rescore" if incremental else ""}
),
grouped AS (
    SELECT raw.*,
{group_totals}
    FROM raw
),
scored AS (
    SELECT target_id, old_score, old_hot, old_ic, old_dirty, {facts},
{", ".join(scaled)},
           CAST(floor(least(100, greatest(0, {total})) + 0.5) AS INTEGER) AS score
    FROM grouped
)
SELECT scored.*, {breakdown} AS breakdown,
       CASE WHEN score >= :hot THEN true WHEN score < :cool THEN false ELSE old_hot END AS new_hot
FROM scored
"""


def parameters(workspace_id: int, settings: ScoringSettings, now_ts: float) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ws": workspace_id,
        "now_ts": now_ts,
        "half_life_s": settings.half_life_days * DAY,
        "hot": settings.hot_threshold,
        "cool": settings.cool_threshold,
    }
    for s in SIGNALS:
        params[f"w_{s}"] = float(getattr(settings.weights, s))
    for s in EVENT_SIGNALS:
        params[f"cap_{s}"] = int(getattr(settings.daily_caps, s))
    for g in CAPPED_GROUPS:
        params[f"gcap_{g}"] = float(getattr(settings.group_caps, g))
    return params
