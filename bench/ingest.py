"""Ingest benchmark: comments through the real collection path vs. a bare INSERT ... ON CONFLICT baseline.

    .venv/bin/python bench/ingest.py               # 10,000 comments across 500 media
    .venv/bin/python bench/ingest.py --size full   # 100,000 comments across 500 media
    .venv/bin/python bench/ingest.py --rounds 5    # more alternated rounds on a noisy machine

A throw-away PostgreSQL database is created from BENCH_ADMIN_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), migrated, used, and dropped. The platform is an
in-memory client speaking the PlatformClient protocol (pages of 50, like Instagram), so the figures
measure our code and the database, not HTTP. Baseline and collection alternate for a few rounds (tables
emptied between runs) and the medians are reported, because on a shared machine one run of either can
be twice as slow as the next. The results go to docs/benchmarks.md under "## Ingest".
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from core.platforms.base import Comment, Media, Page  # noqa: E402

SIZES = {"small": 10_000, "full": 100_000}
MEDIA = 500
PAGE = 50
PEOPLE = 20_000
TEXTS = ["love it", "how much is this?", "where can I buy one", "so cool", "price please", "nice colours"]


class SyntheticPlatform:
    """An Instagram-like account in memory: media with comment counts, pages of 50 comments."""

    platform = "instagram"
    supports_dm = True

    def __init__(self, comments: int, now: datetime) -> None:
        self.api_calls = 0
        self.media = [
            Media(f"m{i}", f"post {i}", f"https://example.test/p/m{i}/", now - timedelta(hours=i + 1), 0, "IMAGE")
            for i in range(MEDIA)
        ]
        self.comments: dict[str, list[Comment]] = {m.id: [] for m in self.media}
        for n in range(comments):
            media = self.media[n % MEDIA]
            person = n * 7919 % PEOPLE
            self.comments[media.id].append(
                Comment(
                    id=f"c{n}",
                    text=TEXTS[n % len(TEXTS)],
                    user_id=f"u{person}",
                    username=f"person_{person}",
                    timestamp=media.timestamp + timedelta(seconds=n // MEDIA + 1),
                    media_id=media.id,
                    raw={"id": f"c{n}", "replies": 0},
                )
            )
        for media in self.media:
            media.comments_count = len(self.comments[media.id])

    def _page(self, items: list, cursor: str | None) -> Page:
        self.api_calls += 1
        start = int(cursor or 0)
        chunk = items[start : start + PAGE]
        return Page(chunk, str(start + PAGE) if start + PAGE < len(items) else None)

    def list_media(self, since=None, cursor=None, limit=50) -> Page:
        return self._page(self.media, cursor)

    def list_comments(self, media_id: str, cursor=None) -> Page:
        return self._page(self.comments[media_id], cursor)

    def list_replies(self, comment_id: str, cursor=None, *, media_id=None) -> Page:
        return self._page([], None)

    def list_mentions(self, cursor=None) -> Page:
        return self._page([], None)

    def close(self) -> None:
        pass


def baseline(client: SyntheticPlatform, workspace_id: int, account_id: int) -> float:
    """The same rows, one bare INSERT ... ON CONFLICT DO NOTHING per page, committed per page."""
    from core.db import db
    from core.models import Interaction

    started = time.perf_counter()
    for media in client.media:
        items = client.comments[media.id]
        for start in range(0, len(items), PAGE):
            rows = [
                {
                    "workspace_id": workspace_id,
                    "social_account_id": account_id,
                    "platform": "instagram",
                    "kind": "comment",
                    "platform_id": c.id,
                    "author_platform_id": c.user_id,
                    "author_username": c.username,
                    "text": c.text,
                    "media_id": c.media_id,
                    "occurred_at": c.timestamp,
                    "received_at": datetime.now(UTC),
                    "source": "poll",
                    "has_intent": False,
                    "is_opt_out": False,
                    "is_hidden": False,
                    "raw": c.raw,
                }
                for c in items[start : start + PAGE]
            ]
            stmt = postgresql.insert(Interaction.__table__)
            db.session.execute(stmt.on_conflict_do_nothing(index_elements=["social_account_id", "platform_id"]), rows)
            db.session.commit()
    return time.perf_counter() - started


def reset(db) -> None:
    db.session.execute(
        text("TRUNCATE interactions, targets, media_states, account_collection_states, do_not_contact CASCADE")
    )
    db.session.commit()


def run(size: int, admin_url: str, rounds: int = 3) -> dict[str, float]:
    name = f"vf_bench_{secrets.token_hex(4)}"
    admin = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    os.environ.setdefault("VISTAFLOW_ENCRYPTION_KEYS", "k1:" + "A" * 43 + "=")
    base_runs: list[float] = []
    path_runs: list[float] = []
    try:
        from flask_migrate import upgrade

        from core.db import db
        from core.models import SocialAccount, Workspace
        from core.services.collection import cycle as collection
        from vistaflow import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
        with app.app_context():
            upgrade()
            workspace = Workspace(name="Bench", slug="bench", time_zone="UTC", settings={})
            db.session.add(workspace)
            db.session.flush()
            account = SocialAccount(
                workspace_id=workspace.id,
                platform="instagram",
                platform_user_id="1784",
                username="bench",
                status="connected",
            )
            db.session.add(account)
            db.session.flush()
            account.store_tokens(access_token="unused-by-the-synthetic-client", expires_at=None)
            db.session.commit()
            workspace_id, account_id = workspace.id, account.id
            now = datetime.now(UTC)
            client = SyntheticPlatform(size, now)

            for n in range(rounds):
                base_runs.append(baseline(client, workspace_id, account_id))
                reset(db)
                client.api_calls = 0
                started = time.perf_counter()
                result = collection.collect_account(account_id, client=client, now=now)
                path_runs.append(time.perf_counter() - started)
                assert result.errors == [], result.errors
                assert result.new_interactions == size, result.as_dict()
                reset(db)
                print(f"round {n + 1}: baseline {base_runs[-1]:.1f} s, collection {path_runs[-1]:.1f} s", flush=True)
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    base_seconds, path_seconds = statistics.median(base_runs), statistics.median(path_runs)
    # Each round's two runs share the machine's mood of the moment: the ratio is taken per round.
    ratios = sorted(b / p for b, p in zip(base_runs, path_runs, strict=True))
    return {
        "rows": size,
        "rounds": rounds,
        "baseline_rows_per_s": size / base_seconds,
        "collection_rows_per_s": size / path_seconds,
        "ratio": statistics.median(ratios),
        "ratio_low": ratios[0],
        "ratio_high": ratios[-1],
        "baseline_s": base_seconds,
        "collection_s": path_seconds,
    }


ROW_PREFIX = "| "


def _row(figures: dict[str, float]) -> str:
    aim = "met" if figures["ratio"] >= 0.5 else "not met"
    return (
        f"| {figures['rows']:,} | {figures['rounds']} | {figures['baseline_rows_per_s']:,.0f} "
        f"({figures['baseline_s']:.1f} s) | {figures['collection_rows_per_s']:,.0f} ({figures['collection_s']:.1f} s) "
        f"| **{figures['ratio']:.2f}** ({figures['ratio_low']:.2f} to {figures['ratio_high']:.2f}) | {aim} "
        f"| {datetime.now(UTC).strftime('%Y-%m-%d')} |\n"
    )


def write_section(figures: dict[str, float], path: Path) -> None:
    """Replace (or add) the "## Ingest" section of docs/benchmarks.md, keeping the other sizes' rows."""
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = existing.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == "## Ingest"), None)
    end = len(lines)
    rows: dict[str, str] = {}
    if start is not None:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        for line in lines[start:end]:
            first = line.split("|")[1].strip() if line.startswith(ROW_PREFIX) else ""
            if first.replace(",", "").isdigit():
                rows[first] = line
    rows[f"{figures['rows']:,}"] = _row(figures)
    table = "".join(rows[k] for k in sorted(rows, key=lambda k: int(k.replace(",", ""))))
    section = (
        "## Ingest\n\n"
        f"`bench/ingest.py`: comments across {MEDIA} media (pages of {PAGE}, {PEOPLE:,} people) into PostgreSQL "
        "through `collect_account` (targets upsert, intent classification, counters, seen times, media cursor, "
        "one commit per page), against the same rows written with one bare `INSERT ... ON CONFLICT DO NOTHING` "
        "batch per page (one commit per page). Both alternate for the given rounds on a fresh database. "
        "Rows/s are medians over the rounds; the ratio is the median of the per-round ratios (baseline time / "
        "collection time of the same round), with their range. Aim: a ratio of at least 0.5.\n\n"
        "| Comments | Rounds | Baseline rows/s | Collection rows/s | Ratio (range) | Aim | Date |\n"
        "|---:|---:|---:|---:|---|---|---|\n" + table + "\n"
        "Per page the collection path sends its write as one psycopg pipeline (one round trip): the target "
        "upsert, one statement of data-modifying CTEs (interactions ON CONFLICT DO NOTHING RETURNING, counters "
        "of the targets that really got new rows) and the media cursor; then the commit. The baseline sends its "
        "insert and its commit. The arrays feeding the statements travel in binary (building them as quoted text "
        "cost 1.9 ms per 50-row page in psycopg, 0.24 ms in binary). The rest of the gap is server work the "
        "baseline does not do (about 1.7 ms per 50-row page: target rows written and locked, their indexes, "
        "the target foreign key), intent classification (about 20 us a comment) and a larger commit. The "
        "machine is shared and its load moves the ratio: under load the commits of both paths slow down and "
        "the ratio rises; on a quiet machine the collection's extra work weighs more and it falls. Compare "
        "ratios from the same run. Run `.venv/bin/python bench/ingest.py` (10,000) or `--size full` "
        "(100,000), `--rounds N`.\n\n"
        "Before the one-round-trip write (commit 189bf46: 4 statements per page, target upsert RETURNING ids, "
        "interaction insert RETURNING, counter executemany, media state insert), the same bench on 2026-11-24 "
        "gave 0.23 (0.23 to 0.25, 3 rounds) at 10,000 comments and 0.32 (1 round) at 100,000. Its profile: "
        "the variable-length multi-row INSERTs (SQLAlchemy insertmanyvalues) were re-parsed by psycopg for every "
        "page (about a quarter of the client time), four statement round trips and the media state flush per "
        "page; classification was under 5 %.\n"
    )
    if start is None:
        new = existing.rstrip("\n") + "\n\n" + section
    else:
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", help="small (10,000), full (100,000) or a number of comments")
    parser.add_argument("--rounds", type=int, default=3, help="alternated baseline/collection runs (medians kept)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    size = SIZES.get(args.size) or int(args.size)
    admin_url = os.environ.get("BENCH_ADMIN_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    figures = run(size, admin_url, max(1, args.rounds))
    print(f"rows: {figures['rows']:,}")
    print(f"baseline:   {figures['baseline_rows_per_s']:,.0f} rows/s ({figures['baseline_s']:.1f} s)")
    print(f"collection: {figures['collection_rows_per_s']:,.0f} rows/s ({figures['collection_s']:.1f} s)")
    print(f"ratio:      {figures['ratio']:.2f} (rounds: {figures['ratio_low']:.2f} to {figures['ratio_high']:.2f})")
    if not args.no_write:
        write_section(figures, ROOT / "docs" / "benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
