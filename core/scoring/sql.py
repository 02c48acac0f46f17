"""The set-based rescore statement: one aggregate over a workspace's interactions into a temp table.

The same SQL runs on PostgreSQL and SQLite; only the epoch expression, the JSON builder and the
one-pass grouping differ (SQLite gets power/floor/least/greatest from core.scoring.sqlite_functions).

Shape (chosen for speed, see docs/benchmarks.md "## Scoring"): each interaction gets a small integer
signal code; one aggregate groups the rows both per (target, signal, day), for the per-day caps, and
per (target, post), for repeat_posts; one more aggregate pivots those rows into one row per target
with FILTER clauses, so each row only feeds the sums of its own signal.
"""

# The SQL is assembled from module constants and signal names only; values are always bound.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from core.scoring.formula import DAY, ENGAGEMENT_SIGNALS, OPT_OUT_KINDS, ORDER_REASONS
from core.scoring.settings import CAPPED_GROUPS, EVENT_SIGNALS, GROUPS, SIGNALS, ScoringSettings

TEMP_TABLE = "vf_score_new"
# Incremental mode: the flagged targets, so their interactions are read through the target index.
DIRTY_TABLE = "vf_score_dirty"
CODE = {s: n for n, s in enumerate(EVENT_SIGNALS)}

_EPOCH = {
    "postgresql": "date_part('epoch', i.occurred_at)",
    "sqlite": "((julianday(i.occurred_at) - 2440587.5) * 86400.0)",
}
_JSON_OBJECT = {"postgresql": "jsonb_build_object", "sqlite": "json_object"}


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _codes(signals: tuple[str, ...]) -> str:
    return ", ".join(str(CODE[s]) for s in signals)


def _signal_case() -> str:
    # Same order as formula.signal_of.
    return f"""CASE
        WHEN i.is_opt_out AND i.kind IN ({_quoted(OPT_OUT_KINDS)}) THEN {CODE["opt_out"]}
        WHEN i.is_hidden THEN {CODE["hidden"]}
        WHEN i.has_intent AND ({_order_test()}) THEN {CODE["order"]}
        WHEN i.has_intent AND i.kind = 'message' THEN {CODE["dm_question"]}
        WHEN i.kind = 'message' THEN {CODE["message"]}
        WHEN i.kind IN ('story_reply', 'story_mention') THEN {CODE["story"]}
        WHEN i.has_intent THEN {CODE["intent"]}
        WHEN i.kind = 'reply' THEN {CODE["reply"]}
        WHEN i.kind = 'mention' THEN {CODE["mention"]}
        ELSE {CODE["comment"]} END"""


def _order_test() -> str:
    # Prefixes are module constants without quotes or wildcards (formula.ORDER_REASONS).
    return " OR ".join(f"i.intent_reason LIKE '{reason}%'" for reason in ORDER_REASONS)


def _decay(ts: str) -> str:
    return f"power(0.5, (CASE WHEN :now_ts > {ts} THEN :now_ts - {ts} ELSE 0 END) / :half_life_s)"


def create_dirty_statement() -> str:
    """CREATE TEMP TABLE vf_score_dirty AS (the ids of the targets flagged for an incremental pass)."""
    return f"CREATE TEMP TABLE {DIRTY_TABLE} AS SELECT id FROM targets WHERE workspace_id = :ws AND needs_rescore"


def _grouped_rows(dialect: str) -> str:
    """Per (target, sig, day) rows (post NULL) and per (target, post) rows (sig NULL), in one scan on
    PostgreSQL (grouping sets); SQLite has no grouping sets, so it unions two aggregates."""
    day_cols = "CAST(count(*) AS INTEGER) AS n, sum(dc) AS d"
    if dialect == "postgresql":
        return f"""SELECT target_id, sig, day, post, {day_cols}, max(ts) AS last_ts
    FROM r GROUP BY GROUPING SETS ((target_id, sig, day), (target_id, post))"""
    return f"""SELECT target_id, sig, day, NULL AS post, {day_cols}, NULL AS last_ts
    FROM r GROUP BY target_id, sig, day
    UNION ALL
    SELECT target_id, NULL, NULL, post, NULL, NULL, max(ts) FROM r WHERE post IS NOT NULL
    GROUP BY target_id, post"""


def create_statement(dialect: str, *, incremental: bool) -> str:
    """CREATE TEMP TABLE vf_score_new AS (new score, breakdown and facts per target)."""
    source = f"interactions i JOIN {DIRTY_TABLE} dt ON dt.id = i.target_id" if incremental else "interactions i"
    targets = f"targets t JOIN {DIRTY_TABLE} dt ON dt.id = t.id" if incremental else "targets t"
    # Only the contributions: the counts the reasons need are read later for the targets whose
    # reasons change (counts_statement), which keeps this pivot to one sum per signal.
    per_signal = ",\n".join(
        f"sum(d * least(n, :cap_{s}) / n) FILTER (WHERE sig = {CODE[s]}) AS r_{s}" for s in EVENT_SIGNALS
    )
    post_decay = _decay("last_ts")
    raw_cols = ",\n".join(
        [f"coalesce(a.r_{s}, 0) * :w_{s} AS r_{s}" for s in EVENT_SIGNALS]
        + ["coalesce(a.r_repeat, 0) * :w_repeat_posts AS r_repeat_posts"]
        + ["coalesce(a.n_posts, 0) AS n_posts"]
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
    breakdown = (
        f"{_JSON_OBJECT[dialect]}(" + ", ".join(f"'{s}', round(CAST(c_{s} AS NUMERIC), 1)" for s in SIGNALS) + ")"
    )
    return f"""
CREATE TEMP TABLE {TEMP_TABLE} AS
WITH s AS (
    SELECT i.target_id AS target_id, {_EPOCH[dialect]} AS ts, {_signal_case()} AS sig, i.media_id AS media_id
    FROM {source}
    WHERE i.workspace_id = :ws AND i.target_id IS NOT NULL
),
r AS (
    SELECT target_id, sig, ts, CAST(floor(ts / {DAY}) AS INTEGER) AS day, {_decay("ts")} AS dc,
           CASE WHEN sig IN ({_codes(ENGAGEMENT_SIGNALS)}) THEN media_id END AS post
    FROM s
),
g AS (
    {_grouped_rows(dialect)}
),
agg AS (
    SELECT target_id,
{per_signal},
           sum({post_decay}) FILTER (WHERE post IS NOT NULL)
               - max({post_decay}) FILTER (WHERE post IS NOT NULL) AS r_repeat,
           CAST(count(*) FILTER (WHERE post IS NOT NULL) AS INTEGER) AS n_posts
    FROM g GROUP BY target_id
),
raw AS MATERIALIZED (
    SELECT t.id AS target_id, t.score AS old_score, t.is_hot AS old_hot, t.interactions_count AS old_ic,
           t.needs_rescore AS old_dirty,
{raw_cols}
    FROM {targets}
    LEFT JOIN agg a ON a.target_id = t.id
    WHERE t.workspace_id = :ws
),
grouped AS MATERIALIZED (
    SELECT raw.*,
{group_totals}
    FROM raw
),
scored AS MATERIALIZED (
    SELECT target_id, old_score, old_hot, old_ic, old_dirty, n_posts,
{", ".join(scaled)},
           CAST(floor(least(100, greatest(0, {total})) + 0.5) AS INTEGER) AS score
    FROM grouped
)
SELECT scored.*, {breakdown} AS breakdown,
       CASE WHEN score >= :hot THEN true WHEN score < :cool THEN false ELSE old_hot END AS new_hot
FROM scored
"""


def counts_statement(dialect: str) -> str:
    """Per target (of :ids), signal and intent reason: interactions, those of the last 48 h, and the
    latest; the facts the reasons in words need, read through the target index."""
    return f"""
SELECT i.target_id, {_signal_case()} AS sig, CASE WHEN i.has_intent THEN i.intent_reason END AS reason,
       CAST(count(*) AS INTEGER) AS n,
       CAST(sum(CASE WHEN {_EPOCH[dialect]} >= :now_ts - {2 * DAY} THEN 1 ELSE 0 END) AS INTEGER) AS n48,
       max(i.occurred_at) AS last_at
FROM interactions i
WHERE i.target_id IN :ids AND i.workspace_id = :ws
GROUP BY i.target_id, {_signal_case()}, CASE WHEN i.has_intent THEN i.intent_reason END
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
