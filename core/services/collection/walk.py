"""Walking a platform's pages for one account: media, their comments and replies, and mentions.

Each page is stored and committed together with the cursor that follows it, so a run that dies
between pages resumes after the last stored page and stores nothing twice (ingest is idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.models import (
    AccountCollectionState,
    Interaction,
    InteractionKind,
    InteractionSource,
    MediaState,
)
from core.platforms.base import Comment, Media
from core.services.collection import ingest

POLL = InteractionSource.POLL.value


@dataclass
class Tally:
    """What one run did; becomes AccountCollectionState.last_result."""

    new_interactions: int = 0
    media_checked: int = 0
    media_changed: int = 0
    pages: int = 0
    mentions_new: int = 0
    target_ids: set[int] = field(default_factory=set)

    def add(self, stored: ingest.IngestResult) -> None:
        self.new_interactions += stored.new
        self.target_ids |= stored.target_ids


def comment_item(comment: Comment, media: Media | None = None) -> ingest.Incoming:
    kind = InteractionKind.REPLY if comment.parent_id else InteractionKind.COMMENT
    return ingest.Incoming(
        platform_id=comment.id,
        kind=kind.value,
        occurred_at=comment.timestamp,
        author_platform_id=comment.user_id,
        author_username=comment.username,
        text=comment.text,
        media_id=comment.media_id or (media.id if media else None),
        media_permalink=media.permalink if media else None,
        parent_platform_id=comment.parent_id,
        hidden=comment.hidden,
        raw=comment.raw or None,
    )


def mention_item(mention: Comment) -> ingest.Incoming:
    return ingest.Incoming(
        platform_id=mention.id,
        kind=InteractionKind.MENTION.value,
        occurred_at=mention.timestamp,
        author_platform_id=mention.user_id,
        author_username=mention.username,
        text=mention.text,
        media_id=mention.media_id,
        media_permalink=(mention.raw or {}).get("permalink"),
        raw=mention.raw or None,
    )


def reply_count(comment: Comment) -> int | None:
    """How many replies the platform says a comment has, when the page tells (None: unknown)."""
    if comment.reply_count is not None:
        return comment.reply_count
    replies = (comment.raw or {}).get("replies")
    if isinstance(replies, bool):
        return None
    if isinstance(replies, int):
        return replies
    if isinstance(replies, dict) and isinstance(replies.get("data"), list):
        # A listed page of a longer thread is no count.
        return None if (replies.get("paging") or {}).get("next") else len(replies["data"])
    return None


# ------------------------------------------------------------------ media


def list_recent_media(client: Any, since: datetime) -> list[Media]:
    """Every media posted since `since` (one call for most accounts: 50 a page)."""
    media: list[Media] = []
    cursor = None
    while True:
        page = client.list_media(since=since, cursor=cursor)
        media.extend(m for m in page.items if m.timestamp >= since)
        if not page.next_cursor:
            return media
        cursor = page.next_cursor


@dataclass
class Seen:
    """What the last run stored about a media (plain values: they survive the per-page commits)."""

    id: int | None
    cursor: str | None
    comments_count: int
    media_timestamp: datetime | None
    last_comment_at: datetime | None


def media_states(account_id: int) -> dict[str, Seen]:
    rows = db.session.execute(
        sa.select(
            MediaState.media_id,
            MediaState.id,
            MediaState.cursor,
            MediaState.comments_count,
            MediaState.media_timestamp,
            MediaState.last_comment_at,
        ).where(MediaState.social_account_id == account_id)
    )
    return {
        row.media_id: Seen(row.id, row.cursor, row.comments_count, row.media_timestamp, row.last_comment_at)
        for row in rows
    }


def has_changed(seen: Seen | None, media: Media) -> bool:
    if seen is None:
        return media.comments_count > 0
    return (
        seen.cursor is not None  # an interrupted walk to finish
        or seen.comments_count != media.comments_count
        or seen.media_timestamp != media.timestamp
    )


def remember_quiet_media(account: ingest.AccountRef, media: Media) -> None:
    """A new media without comments: remember it so the next run sees it as unchanged (no commit)."""
    db.session.add(
        MediaState(
            social_account_id=account.id,
            media_id=media.id,
            permalink=media.permalink,
            caption=media.caption,
            media_timestamp=media.timestamp,
            comments_count=0,
        )
    )


@cache
def _state_statement(dialect: str, columns: tuple[str, ...]) -> sa.Executable:
    """An upsert of a media's collection state that sets `columns` (the others keep their value)."""
    table = MediaState.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    names = ["social_account_id", "media_id", "updated_at", *columns]
    # comments_count 0 for a first insert that only records a cursor (the media is then seen as changed).
    stmt = insert(table).values({"comments_count": 0} | {n: sa.bindparam(n, type_=table.c[n].type) for n in names})
    updated = {name: stmt.excluded[name] for name in ("updated_at", *columns)}
    return stmt.on_conflict_do_update(index_elements=["social_account_id", "media_id"], set_=updated)


def _state(account_id: int, media_id: str, **values: Any) -> tuple[sa.Executable, dict[str, Any]]:
    """The media's new collection state, as a statement and its parameters (run by ingest or _save)."""
    stmt = _state_statement(db.session.get_bind().dialect.name, tuple(sorted(values)))
    return stmt, {"social_account_id": account_id, "media_id": media_id, "updated_at": utcnow(), **values}


def _save(account_id: int, media_id: str, **values: Any) -> None:
    """Write the media's collection state now (no commit)."""
    db.session.execute(*_state(account_id, media_id, **values))


def collect_media(account: ingest.AccountRef, client: Any, media: Media, seen: Seen | None, tally: Tally) -> None:
    """Fetch a changed media's new comments and replies, page by page; commits per page."""
    seen = seen or Seen(None, None, 0, None, None)
    previous_last = newest = seen.last_comment_at
    resumed = seen.cursor is not None  # the pages read before the interruption are not read again
    unknown: list[str] = []  # comments whose page did not say how many replies they have
    cursor = seen.cursor
    final = {
        "cursor": None,
        "comments_count": media.comments_count,
        "media_timestamp": media.timestamp,
        "permalink": media.permalink,
        "caption": media.caption,
    }
    while True:
        page = client.list_comments(media.id, cursor=cursor)
        tally.pages += 1
        unknown += [c.id for c in page.items if reply_count(c) is None]
        may_scan = bool(unknown) or resumed
        for comment in page.items:
            newest = comment.timestamp if newest is None else max(newest, comment.timestamp)
        # The state that follows the page goes with it (one round trip), unless it depends on what was new.
        if page.next_cursor:
            state = _state(account.id, media.id, cursor=page.next_cursor, last_comment_at=newest)
        elif not may_scan:
            state = _state(account.id, media.id, last_comment_at=newest, **final)
        else:
            state = None
        stored = ingest.store(account, [comment_item(c, media) for c in page.items], source=POLL, then=state)
        tally.add(stored)
        _collect_known_replies(account, client, media, page.items, tally)
        stopped_early = bool(page.next_cursor) and _rest_is_known(page.items, stored.new, previous_last)
        last = not page.next_cursor or stopped_early
        # Threads whose reply count is unknown are read only when the media's count (which includes
        # replies) says something is missing.
        scan = last and may_scan and media.comments_count > _held_for_media(account.id, media.id)
        if state is None or stopped_early:
            if last and not scan:
                _save(account.id, media.id, last_comment_at=newest, **final)
            else:
                _save(account.id, media.id, cursor=None if last else page.next_cursor, last_comment_at=newest)
        db.session.commit()
        if last:
            break
        cursor = page.next_cursor
    if scan:
        # Only the unknown threads when every page was read in this run; else every stored thread.
        threads = _top_level_ids(account.id, media.id) if resumed or stopped_early else unknown
        for comment_id in threads:
            _collect_replies(account, client, media, comment_id, tally)
            db.session.commit()
        _save(account.id, media.id, **final)
        db.session.commit()


def _rest_is_known(items: list[Comment], new: int, previous_last: datetime | None) -> bool:
    """Newest-first pages: a page with nothing new, all older than the last run's newest, ends the walk."""
    if previous_last is None or new or len(items) < 2:
        return False
    return items[0].timestamp > items[-1].timestamp and all(c.timestamp <= previous_last for c in items)


def _collect_known_replies(
    account: ingest.AccountRef, client: Any, media: Media, comments: list[Comment], tally: Tally
):
    expected = {c.id: n for c in comments if (n := reply_count(c))}
    if not expected:
        return
    held = dict(
        db.session.execute(
            sa.select(Interaction.parent_platform_id, sa.func.count())
            .where(Interaction.social_account_id == account.id, Interaction.parent_platform_id.in_(list(expected)))
            .group_by(Interaction.parent_platform_id)
        ).all()
    )
    for comment_id, count in expected.items():
        if held.get(comment_id, 0) < count:
            _collect_replies(account, client, media, comment_id, tally)


def _collect_replies(account: ingest.AccountRef, client: Any, media: Media, comment_id: str, tally: Tally) -> None:
    cursor = None
    while True:
        page = client.list_replies(comment_id, cursor=cursor, media_id=media.id)
        tally.pages += 1
        for reply in page.items:
            reply.parent_id = reply.parent_id or comment_id
        tally.add(ingest.store(account, [comment_item(r, media) for r in page.items], source=POLL))
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _held_for_media(account_id: int, media_id: str) -> int:
    kinds = [InteractionKind.COMMENT.value, InteractionKind.REPLY.value]
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Interaction.social_account_id == account_id, Interaction.media_id == media_id, Interaction.kind.in_(kinds)
        )
    )


def _top_level_ids(account_id: int, media_id: str) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Interaction.platform_id)
            .where(
                Interaction.social_account_id == account_id,
                Interaction.media_id == media_id,
                Interaction.kind == InteractionKind.COMMENT.value,
            )
            .order_by(Interaction.occurred_at, Interaction.id)
        )
    )


# ------------------------------------------------------------------ mentions


def collect_mentions(account: ingest.AccountRef, client: Any, state: AccountCollectionState, tally: Tally) -> None:
    """Read the mention feed (newest first) down to what is already stored; commits per page.

    `mentions_cursor` remembers where an interrupted walk stopped, so older pages are still read.
    """
    resume = state.mentions_cursor
    cursor, resuming = None, False
    while True:
        page = client.list_mentions(cursor=cursor)
        stored = ingest.store(account, [mention_item(m) for m in page.items], source=POLL)
        tally.add(stored)
        tally.mentions_new += stored.new
        if not page.next_cursor:
            state.mentions_cursor = None
            db.session.commit()
            return
        if stored.new == 0 and not resuming:
            if resume is None:
                state.mentions_cursor = None
                db.session.commit()
                return
            cursor, resuming = resume, True  # caught up: now finish the older walk that was interrupted
            db.session.commit()
            continue
        if resume is None or resuming:
            state.mentions_cursor = page.next_cursor
        db.session.commit()
        cursor = page.next_cursor
