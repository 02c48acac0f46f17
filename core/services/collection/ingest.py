"""Storing interactions idempotently, set-based: a batch (a page) is one round trip on PostgreSQL.

Every batch: upsert the people it names as targets, insert the interactions (ON CONFLICT DO NOTHING
on (social_account_id, platform_id) RETURNING what was really new), then add only those new rows to
their targets' counters, seen times and 24 h window. Counters only ever move for rows that were
actually inserted, so a replayed page, a duplicate webhook or two concurrent collections change
nothing the second time. PostgreSQL runs this as two pipelined statements (core/services/collection/ingest_pg.py);
SQLite as three plain ones (_write_portable). Opt-outs and username-only authors cost extra statements
only when a batch has them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from core.db import db, utcnow
from core.intent import classify_many
from core.intent.adjustment import Adjustment
from core.models import Interaction, InteractionKind, SocialAccount, Target
from core.payloads import storable
from core.services.collection import ingest_pg
from core.services.privacy import contact_policy
from core.services.reading import versions

log = logging.getLogger(__name__)
COMMENT_KINDS = ingest_pg.COMMENT_KINDS
MESSAGE_KINDS = ingest_pg.MESSAGE_KINDS  # they open Instagram's 24-hour messaging window
# Where "stop" is addressed to us; in a public comment it usually is not.
OPT_OUT_KINDS = frozenset(
    {InteractionKind.MESSAGE.value, InteractionKind.STORY_REPLY.value, InteractionKind.REPLY.value}
)
KINDS = frozenset(k.value for k in InteractionKind)


@dataclass
class Incoming:
    """One interaction as a platform reported it, before storage."""

    platform_id: str
    kind: str
    occurred_at: datetime
    author_platform_id: str | None = None
    author_username: str | None = None
    text: str | None = None
    media_id: str | None = None
    media_permalink: str | None = None
    parent_platform_id: str | None = None
    hidden: bool = False
    raw: dict[str, Any] | None = None


@dataclass
class IngestResult:
    new: int = 0
    seen: int = 0
    target_ids: set[int] = field(default_factory=set)
    opted_out: int = 0

    def add(self, other: IngestResult) -> None:
        self.new += other.new
        self.seen += other.seen
        self.target_ids |= other.target_ids
        self.opted_out += other.opted_out


LOOK_UP: Any = object()  # AccountRef.reader: ask which reader version is active at each batch


@dataclass(frozen=True)
class AccountRef:
    """The account fields ingest needs, as plain values (cheap to keep across commits).

    `reader`, the workspace's reader correction, is looked up once by a collection for all its pages
    (LOOK_UP: at each batch, as a webhook does).
    """

    id: int
    workspace_id: int
    platform: str
    reader: Adjustment | None = field(default=LOOK_UP, compare=False)

    @classmethod
    def of(cls, account: SocialAccount | AccountRef) -> AccountRef:
        if isinstance(account, AccountRef):
            return account
        return cls(account.id, account.workspace_id, account.platform)

    @classmethod
    def collecting(cls, account: SocialAccount) -> AccountRef:
        """The reference a collection keeps for its whole run, the reader version read once."""
        return cls(account.id, account.workspace_id, account.platform, versions.adjustment_for(account.workspace_id))


def _person_key(item: Incoming) -> str | None:
    # Instagram's mention feed names the author only by username; such a person is keyed "@name"
    # unless the same username is already known by id (see _resolve_usernames).
    if item.author_platform_id:
        return str(item.author_platform_id)[:128]
    if item.author_username:
        return "@" + item.author_username.lower()[:119]
    return None


def _resolve_usernames(account_id: int, keys: set[str]) -> dict[str, str]:
    """Map "@name" keys to the id of a target already known under that username."""
    names = [k[1:] for k in keys if k.startswith("@")]
    if not names:
        return {}
    rows = db.session.execute(
        sa.select(sa.func.lower(Target.username), Target.platform_user_id).where(
            Target.social_account_id == account_id,
            sa.func.lower(Target.username).in_(names),
            ~Target.platform_user_id.startswith("@"),
        )
    )
    return {"@" + name: person for name, person in rows}


TEXT_FIELDS = (
    "platform_id",
    "author_platform_id",
    "author_username",
    "text",
    "media_id",
    "media_permalink",
    "parent_platform_id",
)
CLEANED_NOTE = "vistaflow_cleaned"  # in `raw`: why the stored item differs from what the platform sent


def _storable(item: Incoming) -> Incoming:
    """The item without what the database refuses (NUL, lone surrogates), the change noted in its raw data.

    One such character in one comment must not fail its whole page or webhook delivery (and, polled,
    every later collection of the account): the item is stored cleaned, and says so.
    """
    changes = {name: storable(getattr(item, name)) for name in TEXT_FIELDS if isinstance(getattr(item, name), str)}
    changes = {name: value for name, value in changes.items() if value != getattr(item, name)}
    raw = storable(item.raw) if item.raw is not None else None
    if not changes and raw == item.raw:
        return item
    fields = sorted(changes) + (["raw"] if raw != item.raw else [])
    log.warning("an interaction is stored without its NUL characters or invalid Unicode (%s)", ", ".join(fields))
    note = {CLEANED_NOTE: {"removed": "NUL characters or invalid Unicode", "fields": fields}}
    return replace(item, **changes, raw={**(raw or {}), **note})


def _clean(items: Iterable[Incoming]) -> list[Incoming]:
    unique: dict[str, Incoming] = {}
    for item in items:
        if item.kind not in KINDS:
            raise ValueError(f"unknown interaction kind {item.kind!r}")
        if item.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        item = _storable(item)
        unique.setdefault(str(item.platform_id)[:128], item)
    return [item for key, item in unique.items() if key]


def _ensure_targets(account: AccountRef, people: list[ingest_pg.Person]) -> dict[str, int]:
    """Create missing targets in one statement and return every person's target id (SQLite path)."""
    now = utcnow()
    rows = [
        {
            "workspace_id": account.workspace_id,
            "social_account_id": account.id,
            "platform": account.platform,
            "platform_user_id": person.key,
            "username": person.username,
            "first_seen_at": person.first_seen_at,
            "last_seen_at": person.first_seen_at,
            "interactions_count": 0,
            "comments_count": 0,
            "messages_count": 0,
            "score": 0,
            "score_breakdown": {},
            "score_reasons": [],
            "is_hot": False,
            "needs_rescore": True,
            "created_at": now,
        }
        for person in sorted(people)
    ]
    t = Target.__table__
    stmt = sqlite.insert(t)
    # A no-op-ish update (keep the newest known username) so RETURNING gives every person's id in one trip.
    stmt = stmt.on_conflict_do_update(
        index_elements=["social_account_id", "platform_user_id"],
        set_={"username": sa.func.coalesce(stmt.excluded.username, t.c.username)},
    ).returning(t.c.platform_user_id, t.c.id)
    return dict(db.session.execute(stmt, rows).all())


def store(
    account: SocialAccount | AccountRef,
    items: Iterable[Incoming],
    *,
    source: str,
    then: tuple[sa.Executable, dict[str, Any]] | None = None,
) -> IngestResult:
    """Store a batch of interactions of one account once each; update their targets (no commit).

    `then`, a (statement, parameters) pair such as the collection cursor that follows this page, runs
    right after, in the same round trip on PostgreSQL.
    """
    batch = _clean(items)
    result = IngestResult(seen=len(batch))
    if not batch:
        if then is not None:
            db.session.execute(*then)
        return result
    account = AccountRef.of(account)
    keys = {item.platform_id: _person_key(item) for item in batch}
    aliases = _resolve_usernames(account.id, {k for k in keys.values() if k})
    if aliases:
        keys = {pid: aliases.get(k, k) if k else None for pid, k in keys.items()}

    people: dict[str, tuple[str | None, datetime]] = {}
    rows = []
    # One pass of the reader for the batch, with the workspace's own version when it has one.
    reader = versions.adjustment_for(account.workspace_id) if account.reader is LOOK_UP else account.reader
    verdicts = classify_many([item.text for item in batch], reader)
    for item, verdict in zip(batch, verdicts, strict=True):
        person = keys[item.platform_id]
        if person is not None:
            username, first = people.get(person, (None, item.occurred_at))
            people[person] = (item.author_username or username, min(first, item.occurred_at))
        rows.append(
            ingest_pg.Row(
                str(item.platform_id)[:128],
                item.kind,
                person,
                item.author_platform_id and str(item.author_platform_id)[:128],
                item.author_username and item.author_username[:120],
                item.text,
                item.media_id and str(item.media_id)[:128],
                item.media_permalink and item.media_permalink[:500],
                item.parent_platform_id and str(item.parent_platform_id)[:128],
                item.occurred_at,
                verdict.has_intent,
                verdict.reasons[0][:100] if verdict.reasons else None,
                verdict.is_opt_out,
                bool(item.hidden),
                item.raw,
            )
        )
    persons = [ingest_pg.Person(k, (u or None) and u[:120], first) for k, (u, first) in people.items()]
    on_postgres = db.session.get_bind().dialect.name == "postgresql"
    if on_postgres:
        inserted = ingest_pg.write(account, persons, rows, source=source, now=utcnow(), then=then)
    else:
        inserted = _write_portable(account, persons, rows, source=source)
        if then is not None:
            db.session.execute(*then)
    result.new = len(inserted)
    result.target_ids = {row.target_id for row in inserted if row.target_id is not None}
    from core.services.conversations import threads
    from core.services.outreach import followups

    if not on_postgres:
        threads.note_interactions(account.workspace_id, account.id, inserted)  # PostgreSQL did it in its write
    # Before the bulk opt-out below, so each cancelled DM gets its DmEvent; an answer stops sequences.
    followups.note_inbound([(r.target_id, r.id) for r in inserted if r.target_id and r.kind in OPT_OUT_KINDS])
    result.opted_out = _apply_opt_outs(inserted)
    return result


def _write_portable(
    account: AccountRef, people: list[ingest_pg.Person], rows: list[ingest_pg.Row], *, source: str
) -> list[Any]:
    """The same write as ingest_pg.write in portable statements (SQLite): targets, interactions, counters."""
    target_ids = _ensure_targets(account, people) if people else {}
    now = utcnow()
    values = []
    for row in rows:
        value = row._asdict()
        person = value.pop("person")
        value.update(
            workspace_id=account.workspace_id,
            social_account_id=account.id,
            target_id=target_ids.get(person) if person else None,
            platform=account.platform,
            received_at=now,
            source=source,
        )
        values.append(value)
    table = Interaction.__table__
    stmt = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["social_account_id", "platform_id"])
        .returning(table.c.id, table.c.target_id, table.c.kind, table.c.occurred_at, table.c.is_opt_out)
    )
    inserted = db.session.execute(stmt, values).all()
    _bump_targets(inserted)
    return inserted


def _bump_targets(inserted: list[Any]) -> None:
    """Add the new rows to their targets' counters and seen times, one executemany for the batch."""
    per_target: dict[int, dict[str, Any]] = {}
    for row in inserted:
        if row.target_id is None:
            continue
        agg = per_target.setdefault(
            row.target_id,
            {
                "b_id": row.target_id,
                "b_n": 0,
                "b_c": 0,
                "b_m": 0,
                "b_first": row.occurred_at,
                "b_last": row.occurred_at,
                "b_msg": None,
            },
        )
        agg["b_n"] += 1
        agg["b_c"] += row.kind in COMMENT_KINDS
        agg["b_m"] += row.kind in MESSAGE_KINDS
        agg["b_first"] = min(agg["b_first"], row.occurred_at)
        agg["b_last"] = max(agg["b_last"], row.occurred_at)
        if row.kind in MESSAGE_KINDS:
            agg["b_msg"] = max(agg["b_msg"] or row.occurred_at, row.occurred_at)
    if not per_target:
        return
    t = Target.__table__
    first, last, msg = (sa.bindparam(n, type_=t.c.first_seen_at.type) for n in ("b_first", "b_last", "b_msg"))
    stmt = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("b_id"))
        .values(
            interactions_count=t.c.interactions_count + sa.bindparam("b_n"),
            comments_count=t.c.comments_count + sa.bindparam("b_c"),
            messages_count=t.c.messages_count + sa.bindparam("b_m"),
            first_seen_at=sa.case((t.c.first_seen_at > first, first), else_=t.c.first_seen_at),
            last_seen_at=sa.case((t.c.last_seen_at < last, last), else_=t.c.last_seen_at),
            last_inbound_message_at=sa.case(
                (msg.is_(None), t.c.last_inbound_message_at),
                (t.c.last_inbound_message_at.is_(None), msg),
                (t.c.last_inbound_message_at < msg, msg),
                else_=t.c.last_inbound_message_at,
            ),
            needs_rescore=True,
        )
    )
    # Sorted ids: two concurrent batches lock target rows in the same order, so they never deadlock.
    db.session.execute(stmt, [per_target[k] for k in sorted(per_target)])


def _apply_opt_outs(inserted: list[Any]) -> int:
    ids = sorted({r.target_id for r in inserted if r.is_opt_out and r.kind in OPT_OUT_KINDS and r.target_id})
    if not ids:
        return 0
    # populate_existing: the counters were just changed behind the ORM's back.
    stmt = sa.select(Target).where(Target.id.in_(ids)).order_by(Target.id).execution_options(populate_existing=True)
    for target in db.session.scalars(stmt):
        contact_policy.block(target, "opt_out")
    return len(ids)
