"""Keyset pages deep in a list read as few rows as the first page (PostgreSQL plans, not timings).

Each list's deep page is run through its service; the SQL it sent is re-run under EXPLAIN ANALYZE, and the rows
its scans read (returned plus removed by a filter) must stay near the page size. A cursor written as
`key < v OR (key = v AND id < i)` is not an index condition: the scan starts at the top and filters out every
row before the cursor, so a page 3,000 rows deep reads 3,000 rows more than the first.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.db import db
from core.models import Door, User
from core.services.collection import interactions
from core.services.identity.actors import Actor
from core.services.leads import queries as lead_queries
from core.services.targets import read as targets

ROWS = 6000
DEPTH_PAGES = 15  # pages of 200: 3,000 rows deep
LIMIT = 50

SEED = """
INSERT INTO targets (workspace_id, social_account_id, platform, platform_user_id, username, first_seen_at,
                     last_seen_at, interactions_count, comments_count, messages_count, score, score_breakdown,
                     score_reasons, is_hot, needs_rescore, created_at)
SELECT :ws, :account, 'instagram', 'p' || n, 'person_' || n, now() - (n || ' minutes')::interval,
       now() - (n || ' seconds')::interval, 1, 1, 0, n % 101, '{}'::jsonb, '[]'::jsonb, false, false, now()
FROM generate_series(1, :rows) AS n;
INSERT INTO leads (workspace_id, target_id, status, source, created_at, updated_at)
SELECT :ws, t.id, 'new', 'auto_hot', now() - (t.id || ' seconds')::interval, now() - (t.id || ' seconds')::interval
FROM targets t WHERE t.workspace_id = :ws;
INSERT INTO interactions (workspace_id, social_account_id, target_id, platform, kind, platform_id, author_platform_id,
                          author_username, text, occurred_at, received_at, source, has_intent, is_opt_out, is_hidden)
SELECT :ws, :account, (SELECT min(id) FROM targets WHERE workspace_id = :ws) + n % :rows, 'instagram', 'comment',
       'c' || n, 'p' || n, 'person_' || n, 'hi #' || n, now() - (n || ' seconds')::interval, now(), 'poll',
       false, false, false
FROM generate_series(1, :rows) AS n;
ANALYZE targets;
ANALYZE leads;
ANALYZE interactions
"""


@pytest.fixture
def seeded(app_ctx, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    from tests.factories import make_account

    account = make_account(workspace["id"])
    db.session.commit()
    for statement in SEED.split(";\n"):
        db.session.execute(sa.text(statement), {"ws": workspace["id"], "account": account.id, "rows": ROWS})
    db.session.commit()
    actor = Actor.for_user(db.session.scalar(sa.select(User).where(User.email == owner.email)), Door.API)
    return workspace["id"], actor


def _capture(run_page):
    """The last SELECT ... ORDER BY a page sent, with its parameters."""
    sent: list[tuple[str, dict]] = []

    def listen(conn, cursor, statement, params, context, executemany):
        if "ORDER BY" in statement and "LIMIT" in statement:
            sent.append((statement, params))

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        run_page()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    return sent[-1]


def _rows_read(table: str, statement: str, params: dict) -> int:
    """Rows the plan's scans of `table` produced or removed by a filter (over all loops)."""
    plan = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params).scalar()
    total = 0

    def walk(node: dict) -> None:
        nonlocal total
        if node.get("Relation Name") == table:
            loops = node.get("Actual Loops", 1)
            total += (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return total


def _deep_cursor(page, pages: int) -> str:
    cursor = None
    for _ in range(pages):
        cursor = page(cursor, 200).next_cursor
        assert cursor
    return cursor


LISTS = {
    "interactions": (
        "interactions",
        lambda ws, actor: lambda cursor, limit: interactions.page_for(ws, actor=actor, cursor=cursor, limit=limit),
    ),
    "targets by score": (
        "targets",
        lambda ws, actor: (
            lambda cursor, limit: targets.page(
                ws, actor=actor, filters=targets.TargetFilters(), cursor=cursor, limit=limit
            )
        ),
    ),
    "targets by activity": (
        "targets",
        lambda ws, actor: (
            lambda cursor, limit: targets.page(
                ws, actor=actor, filters=targets.TargetFilters(sort="last_activity"), cursor=cursor, limit=limit
            )
        ),
    ),
}
for _by in ("updated", "created"):
    LISTS[f"leads by {_by}"] = (
        "leads",
        lambda ws, actor, by=_by: (
            lambda cursor, limit: lead_queries.page(
                ws,
                actor=actor,
                filters=lead_queries.LeadFilters(),
                sort=lead_queries.LeadSort(by=by),
                cursor=cursor,
                limit=limit,
            )
        ),
    )


@pytest.mark.parametrize("name", list(LISTS))
def test_a_deep_keyset_page_reads_as_few_rows_as_the_first(seeded, name):
    workspace_id, actor = seeded
    table, make = LISTS[name]
    page = make(workspace_id, actor)
    first = _rows_read(table, *_capture(lambda: page(None, LIMIT)))
    cursor = _deep_cursor(page, DEPTH_PAGES)
    deep = _rows_read(table, *_capture(lambda: page(cursor, LIMIT)))
    assert first <= 2 * (LIMIT + 1), first
    assert deep <= 2 * (LIMIT + 1), f"the page 3,000 rows deep read {deep} rows of {table} (first page: {first})"
