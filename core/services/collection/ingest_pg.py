"""The PostgreSQL write of one ingest batch: two fixed statements sent together in one round trip.

1. Upsert the batch's people into `targets` in key order (this also row-locks them until commit, so
   two concurrent batches with the same people take their locks in the same order and run one after
   the other).
2. One statement with data-modifying CTEs: insert the interactions, each joined to its person's
   target, ON CONFLICT DO NOTHING RETURNING the really new rows; add those rows to their targets'
   counters, seen times and 24 h window (first seen only moves back, last seen and the window only
   forward); open (or reopen) their people's conversations in the inbox, as
   `conversations.threads.note_interactions` does on SQLite; answer the new rows.

They must stay two statements: a statement cannot update a row it inserted or updated itself (the
second write is silently dropped), so the counters of a target created by step 1 could not move in
step 1's own statement. Both, and an optional third (the collection cursor that follows the page),
go through psycopg's pipeline mode: one network round trip per batch, the commit aside.

Fed by arrays (unnest), their text never changes with the batch size, so psycopg never re-parses a
new multi-row INSERT per page; the arrays travel in binary (`%(name)b`), which psycopg builds about
eight times faster than their quoted text form. Step 1 is prepared once per connection; step 2 is planned at each run
because a plan cached while the tables were small would keep scanning them once they are large. Its
target lookup is a scalar subquery, one unique-index probe per row whatever the statistics say.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
import sqlalchemy as sa
from psycopg.rows import namedtuple_row

from core.db import db
from core.models import InteractionKind

COMMENT_KINDS = frozenset({InteractionKind.COMMENT.value, InteractionKind.REPLY.value})
# Kinds that come from the person in the account's inbox: they open Instagram's 24-hour window.
MESSAGE_KINDS = frozenset({InteractionKind.MESSAGE.value, InteractionKind.STORY_REPLY.value})


class Person(NamedTuple):
    key: str
    username: str | None
    first_seen_at: datetime


class Row(NamedTuple):
    """One interaction, already normalised (lengths cut, intent classified); `person` is its target key."""

    platform_id: str
    kind: str
    person: str | None
    author_platform_id: str | None
    author_username: str | None
    text: str | None
    media_id: str | None
    media_permalink: str | None
    parent_platform_id: str | None
    occurred_at: datetime
    has_intent: bool
    intent_reason: str | None
    is_opt_out: bool
    is_hidden: bool
    raw: dict[str, Any] | None


UPSERT_TARGETS = """
INSERT INTO targets AS t (
    workspace_id, social_account_id, platform, platform_user_id, username, first_seen_at, last_seen_at,
    interactions_count, comments_count, messages_count, score, score_breakdown, score_reasons, is_hot,
    needs_rescore, created_at)
SELECT %(workspace_id)s, %(account_id)s, %(platform)s, p.person, p.username, p.first_at, p.first_at,
       0, 0, 0, 0, '{}'::jsonb, '[]'::jsonb, false, true, %(now)s
FROM unnest(%(people)b::text[], %(usernames)b::text[], %(firsts)b::timestamptz[]) AS p(person, username, first_at)
ORDER BY p.person
ON CONFLICT (social_account_id, platform_user_id) DO UPDATE SET username = excluded.username
WHERE excluded.username IS NOT NULL AND t.username IS DISTINCT FROM excluded.username
"""


INSERT_INTERACTIONS = """
WITH src AS (
    SELECT * FROM unnest(
        %(platform_ids)b::text[], %(kinds)b::text[], %(persons)b::text[], %(author_ids)b::text[],
        %(author_names)b::text[], %(texts)b::text[], %(media_ids)b::text[], %(permalinks)b::text[],
        %(parents)b::text[], %(occurred)b::timestamptz[], %(intents)b::boolean[], %(reasons)b::text[],
        %(opt_outs)b::boolean[], %(hidden)b::boolean[], %(raws)b::text[]
    ) WITH ORDINALITY AS s(platform_id, kind, person, author_platform_id, author_username, text, media_id,
        media_permalink, parent_platform_id, occurred_at, has_intent, intent_reason, is_opt_out, is_hidden,
        raw, n)
), ins AS (
    INSERT INTO interactions (
        workspace_id, social_account_id, target_id, platform, kind, platform_id, author_platform_id,
        author_username, text, media_id, media_permalink, parent_platform_id, occurred_at, received_at, source,
        has_intent, intent_reason, is_opt_out, is_hidden, raw)
    SELECT %(workspace_id)s, %(account_id)s,
           (SELECT t.id FROM targets t WHERE t.social_account_id = %(account_id)s AND t.platform_user_id = s.person),
           %(platform)s, s.kind, s.platform_id, s.author_platform_id,
           s.author_username, s.text, s.media_id, s.media_permalink, s.parent_platform_id, s.occurred_at,
           %(now)s, %(source)s, s.has_intent, s.intent_reason, s.is_opt_out, s.is_hidden, s.raw::jsonb
    FROM src s
    ORDER BY s.n
    ON CONFLICT (social_account_id, platform_id) DO NOTHING
    RETURNING id, target_id, kind, is_opt_out, occurred_at
), agg AS (
    SELECT target_id,
           count(*) AS n,
           count(*) FILTER (WHERE kind = ANY(%(comment_kinds)b::text[])) AS c,
           count(*) FILTER (WHERE kind = ANY(%(message_kinds)b::text[])) AS m,
           min(occurred_at) AS first_at,
           max(occurred_at) AS last_at,
           max(occurred_at) FILTER (WHERE kind = ANY(%(message_kinds)b::text[])) AS message_at
    FROM ins WHERE target_id IS NOT NULL GROUP BY target_id
), bump AS (
    UPDATE targets t SET
        interactions_count = t.interactions_count + a.n,
        comments_count = t.comments_count + a.c,
        messages_count = t.messages_count + a.m,
        first_seen_at = LEAST(t.first_seen_at, a.first_at),
        last_seen_at = GREATEST(t.last_seen_at, a.last_at),
        last_inbound_message_at = GREATEST(t.last_inbound_message_at, a.message_at),
        needs_rescore = true
    FROM agg a WHERE t.id = a.target_id
), conversation AS (
    INSERT INTO conversations AS c (
        workspace_id, social_account_id, target_id, state, last_item_at, last_inbound_at, created_at, updated_at)
    SELECT %(workspace_id)s, %(account_id)s, target_id, 'open', max(occurred_at), max(occurred_at), %(now)s, %(now)s
    FROM ins WHERE target_id IS NOT NULL AND kind = ANY(%(inbound_kinds)b::text[])
    GROUP BY target_id
    ORDER BY target_id
    ON CONFLICT (target_id) DO UPDATE SET
        last_item_at = GREATEST(c.last_item_at, excluded.last_item_at),
        last_inbound_at = GREATEST(c.last_inbound_at, excluded.last_inbound_at),
        state = CASE
            WHEN (c.last_outbound_at IS NULL OR excluded.last_inbound_at > c.last_outbound_at)
                 AND c.state_reason IS NULL THEN 'open'
            ELSE c.state END,
        updated_at = excluded.updated_at
)
SELECT id, target_id, kind, is_opt_out, occurred_at FROM ins
"""


def write(
    account: Any,
    people: Sequence[Person],
    rows: Sequence[Row],
    *,
    source: str,
    now: datetime,
    then: tuple[sa.Executable, dict[str, Any]] | None = None,
) -> list[Any]:
    """Upsert the people, insert the rows once each and move counters for the new ones.

    Returns the new rows (id, target_id, kind, is_opt_out, occurred_at).

    `then`, a Core statement and its parameters, is sent in the same pipeline after them.
    """
    from core.services.conversations import threads  # imported late, as ingest does: threads needs outreach

    db.session.flush()  # raw statements bypass the ORM's autoflush
    after = _driver_sql(*then) if then is not None else None
    common = {"workspace_id": account.workspace_id, "account_id": account.id, "platform": account.platform, "now": now}
    columns = list(zip(*rows, strict=True))
    params = common | {
        "source": source,
        "comment_kinds": sorted(COMMENT_KINDS),
        "message_kinds": sorted(MESSAGE_KINDS),
        "inbound_kinds": sorted(threads.INBOUND_KINDS),
        "platform_ids": list(columns[0]),
        "kinds": list(columns[1]),
        "persons": list(columns[2]),
        "author_ids": list(columns[3]),
        "author_names": list(columns[4]),
        "texts": list(columns[5]),
        "media_ids": list(columns[6]),
        "permalinks": list(columns[7]),
        "parents": list(columns[8]),
        "occurred": list(columns[9]),
        "intents": list(columns[10]),
        "reasons": list(columns[11]),
        "opt_outs": list(columns[12]),
        "hidden": list(columns[13]),
        "raws": [None if raw is None else json.dumps(raw) for raw in columns[14]],
    }
    conn: psycopg.Connection = db.session.connection().connection.driver_connection
    try:
        with conn.pipeline(), conn.cursor(row_factory=namedtuple_row) as cursor:
            if people:
                ordered = sorted(people)
                targets = {
                    "people": [p.key for p in ordered],
                    "usernames": [p.username for p in ordered],
                    "firsts": [p.first_seen_at for p in ordered],
                }
                conn.execute(UPSERT_TARGETS, common | targets, prepare=True)
            # Planned each time: a plan cached while the tables were small would scan them once they are not.
            cursor.execute(INSERT_INTERACTIONS, params, prepare=False)
            if after is not None:
                conn.execute(*after)
            return cursor.fetchall()
    except psycopg.Error as exc:
        # The same error types as every other statement (IntegrityError, OperationalError...).
        raise sa.exc.DBAPIError.instance(INSERT_INTERACTIONS, params, exc, psycopg.Error) from exc


_COMPILED: dict[int, tuple[sa.Executable, Any]] = {}


def _driver_sql(statement: sa.Executable, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A Core statement (compiled once) as psycopg SQL and parameters converted as SQLAlchemy would."""
    dialect = db.session.get_bind().dialect
    held = _COMPILED.get(id(statement))
    if held is None or held[0] is not statement:
        held = _COMPILED[id(statement)] = (statement, statement.compile(dialect=dialect))
    compiled = held[1]
    params = compiled.construct_params(values)
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and name in params:
            params[name] = process(params[name])
    return compiled.string, params
