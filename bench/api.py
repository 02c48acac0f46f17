"""API benchmark: the list endpoints (targets, leads, interactions) under gunicorn, against a bare Flask JSON
endpoint served the same way, with a load generator on loopback; and a first page against a deep keyset page.

    .venv/bin/python bench/api.py                  # small: 100,000 interactions, 10,000 targets and leads
    .venv/bin/python bench/api.py --size full      # 1,000,000 interactions, 100,000 targets and leads

A throw-away database is created next to BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
migrated, seeded set-based with generate_series, and dropped at the end. Both apps run under gunicorn with the
same worker count on free loopback ports; the load generator is a bounded pool of keep-alive threads (no tool to
install). Results go to stdout and to the "## API" section of docs/benchmarks.md (unless --no-docs).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOCS = ROOT / "docs" / "benchmarks.md"
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SIZES = {"small": (100_000, 10_000), "full": (1_000_000, 100_000)}
WORKERS = 2
THREADS = 8
PAGE = 50

SEED_SQL = """
INSERT INTO social_accounts (workspace_id, platform, platform_user_id, username, account_type, status, paused,
                             created_at, updated_at)
VALUES (%(ws)s, 'instagram', 'bench-ig', 'bench.shop', 'BUSINESS', 'connected', false, now(), now());
INSERT INTO targets (workspace_id, social_account_id, platform, platform_user_id, username, first_seen_at,
                     last_seen_at, interactions_count, comments_count, messages_count, score, score_breakdown,
                     score_reasons, is_hot, needs_rescore, created_at)
SELECT %(ws)s, (SELECT id FROM social_accounts WHERE workspace_id = %(ws)s), 'instagram', 'p' || n, 'person_' || n,
       now() - (n || ' minutes')::interval, now() - ((n %% 5000) || ' minutes')::interval,
       10, 8, 2, n %% 101, '{}'::jsonb, '[]'::jsonb, n %% 10 = 0, false, now()
FROM generate_series(1, %(targets)s) AS n;
INSERT INTO leads (workspace_id, target_id, status, source, created_at, updated_at)
SELECT %(ws)s, t.id, (ARRAY['new','contacted','replied','qualified','won','lost'])[1 + t.id %% 6], 'auto_hot',
       now() - (t.id || ' seconds')::interval, now() - ((t.id %% 5000) || ' seconds')::interval
FROM targets t WHERE t.workspace_id = %(ws)s;
INSERT INTO interactions (workspace_id, social_account_id, target_id, platform, kind, platform_id,
                          author_platform_id, author_username, text, media_id, occurred_at, received_at, source,
                          has_intent, is_opt_out, is_hidden)
SELECT %(ws)s, (SELECT id FROM social_accounts WHERE workspace_id = %(ws)s),
       (SELECT min(id) FROM targets WHERE workspace_id = %(ws)s) + (n %% %(targets)s), 'instagram',
       CASE WHEN n %% 5 = 0 THEN 'message' ELSE 'comment' END, 'c' || n, 'p' || (n %% %(targets)s),
       'person_' || (n %% %(targets)s), 'how much is it? #' || n, 'm' || (n %% 40),
       now() - (n || ' seconds')::interval, now() - (n || ' seconds')::interval, 'poll', n %% 7 = 0, false, false
FROM generate_series(1, %(interactions)s) AS n;
VACUUM ANALYZE targets;
VACUUM ANALYZE leads;
VACUUM ANALYZE interactions;
"""

BARE_APP = """
from flask import Flask, jsonify
app = Flask(__name__)
ITEMS = [{"id": n, "username": f"person_{n}", "score": n % 101, "is_hot": False} for n in range(50)]

@app.get("/bare")
def bare():
    return jsonify({"items": ITEMS, "next_cursor": None})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database() -> tuple[str, str, str]:
    admin = make_url(ADMIN_URL).set(drivername="postgresql")
    name = f"vistaflow_bench_api_{secrets.token_hex(3)}"
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    plain = admin.set(database=name).render_as_string(hide_password=False)
    return name, plain, make_url(plain).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(sa_url: str, plain_url: str, interactions: int, targets: int) -> tuple[int, str]:
    """Migrate, make a user and workspace through the services, seed the rows; returns (workspace id, token)."""
    os.environ.setdefault("VISTAFLOW_ENCRYPTION_KEYS", "k1:" + "B" * 43 + "=")
    from flask_migrate import upgrade

    from core.db import db
    from core.models import Door
    from core.services.identity import api_tokens, auth
    from core.services.identity.actors import Actor
    from core.services.workspaces import lifecycle as workspaces
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": sa_url, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        user = auth.register("bench@example.com", "bench-password-123", "Bench", door=Door.CLI)
        actor = Actor.for_user(user, Door.CLI)
        workspace = workspaces.create("Bench API", actor=actor)
        _, token = api_tokens.create("bench", actor=actor)
        workspace_id = workspace.id
        db.session.commit()
        db.engine.dispose()
    started = time.perf_counter()
    with psycopg.connect(plain_url, autocommit=True) as conn:
        params = {"ws": workspace_id, "targets": targets, "interactions": interactions}
        for statement in filter(str.strip, SEED_SQL.split(";\n")):
            conn.execute(statement, params if "%(" in statement else None)
    print(
        f"seeded {interactions:,} interactions, {targets:,} targets and leads in {time.perf_counter() - started:.1f}s"
    )
    return workspace_id, token


def start_gunicorn(app_spec: str, port: int, env: dict, cwd: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
            app_spec,
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))


def get(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def load(port: int, path: str, headers: dict, seconds: float) -> dict[str, float]:
    """THREADS keep-alive clients hammering `path` for `seconds`: requests/s and latency percentiles."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, _ = get(conn, path, headers)
            mine.append(time.perf_counter() - started)
            if status != 200:
                errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors[0]:
        raise SystemExit(f"{errors[0]} non-200 answers on {path}")
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
        "requests": len(latencies),
    }


def deep_cursor(port: int, path: str, headers: dict, pages: int) -> str:
    """Follow next_cursor `pages` times (limit 200 to get deep quickly) and return that page's cursor."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    cursor = None
    for _ in range(pages):
        url = f"{path}?limit=200" + (f"&cursor={quote(cursor)}" if cursor else "")
        status, body = get(conn, url, headers)
        assert status == 200, body[:300]
        cursor = json.loads(body)["next_cursor"]
        if cursor is None:
            raise SystemExit(f"{path} ran out of pages before {pages}")
    conn.close()
    return cursor


def paired(port: int, first: str, deep: str, headers: dict, n: int) -> tuple[float, float]:
    """Median latencies (ms) of the first and the deep page, requested one at a time in alternation.

    Alternating keeps a burst of load from elsewhere on the machine (or a checkpoint) from landing on one side only:
    timed as two blocks of 30, the interactions deep/first ratio moved between 0.94 and 1.61 over runs of the same
    code, while both pages' SQL read 5 to 6 buffers.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples: dict[str, list[float]] = {first: [], deep: []}
    for _ in range(n):
        for path in (first, deep):
            started = time.perf_counter()
            status, body = get(conn, path, headers)
            samples[path].append(time.perf_counter() - started)
            assert status == 200, body[:300]
    conn.close()
    return 1000 * statistics.median(samples[first]), 1000 * statistics.median(samples[deep])


def sequential(port: int, path: str, headers: dict, n: int) -> float:
    """Median latency (ms) of `n` one-at-a-time requests, so the first and deep pages compare fairly."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        status, body = get(conn, path, headers)
        samples.append(time.perf_counter() - started)
        assert status == 200, body[:300]
    conn.close()
    return 1000 * statistics.median(samples)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    mem_kb = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    )
    return f"{os.cpu_count()} cores, {mem_kb / 1024 / 1024:.1f} GiB, {cpu}, Python {platform.python_version()}"


def write_docs(rows: list[dict], summary: dict, size: str) -> None:
    lines = [
        "## API",
        "",
        "`bench/api.py` seeds PostgreSQL set-based, serves the app and a bare Flask JSON endpoint (50 small items, "
        f"no database) each with gunicorn ({WORKERS} sync workers) on loopback, and loads each endpoint with "
        f"{THREADS} keep-alive client threads for a fixed time. The ratio is the endpoint's requests/s over the "
        "bare endpoint's. The deep page is reached by following `next_cursor` (limit 200) "
        f"{summary['deep_pages']} times, then its page of {PAGE} and the first page are timed one request at a time, "
        "alternating (median of 60 each); keyset pagination should keep them within 20%. The seeded tables are "
        "vacuumed and analysed first, as autovacuum would leave them.",
        "",
        f"Size: {size} ({summary['interactions']:,} interactions, {summary['targets']:,} targets and leads), "
        f"{summary['date']}, {summary['machine']}, {summary['postgres']}.",
        "",
        "| Endpoint | requests/s | p50 | p95 | ratio to bare | first page | deep page | deep/first |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        deep = f"{row['deep_ms']:.1f} ms" if "deep_ms" in row else "-"
        first = f"{row['first_ms']:.1f} ms" if "first_ms" in row else "-"
        change = f"{row['deep_ms'] / row['first_ms']:.2f}" if "deep_ms" in row else "-"
        lines.append(
            f"| {row['name']} | {row['rps']:,.0f} | {row['p50_ms']:.1f} ms | {row['p95_ms']:.1f} ms | "
            f"{row['ratio']:.2f} | {first} | {deep} | {change} |"
        )
    lines += [
        "",
        "A deep page costs the same as the first only while its cursor is an index condition: a row comparison "
        "`(key, id) < (:key, :id)` on an index (workspace_id, key, id). Check with EXPLAIN (ANALYZE, BUFFERS); "
        "tests/test_keyset_plans.py asserts it for every list.",
        "",
        "Run: `.venv/bin/python bench/api.py` (small) or `--size full`.",
        "",
    ]
    section = "\n".join(lines)
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    start = text.find("## API\n")
    if start == -1:
        text = text.rstrip() + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if end == -1 else text[end + 1 :])
    DOCS.write_text(text.rstrip() + "\n")
    print(f"wrote {DOCS.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=list(SIZES), default="small")
    parser.add_argument("--seconds", type=float, default=None, help="load time per endpoint (5 small, 15 full)")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    interactions, targets = SIZES[args.size]
    seconds = args.seconds or (5.0 if args.size == "small" else 15.0)
    deep_pages = 25 if args.size == "small" else 250  # 5,000 or 50,000 rows deep

    name, plain_url, sa_url = create_database()
    procs: list[subprocess.Popen] = []
    try:
        workspace_id, token = prepare(sa_url, plain_url, interactions, targets)
        with psycopg.connect(plain_url) as conn:
            postgres = "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]
        env = os.environ | {
            "DATABASE_URL": sa_url,
            "VISTAFLOW_ENV": "development",
            "PYTHONPATH": str(ROOT),
            "LOG_JSON": "0",
        }
        env.pop("REDIS_URL", None)
        app_port, bare_port = free_port(), free_port()
        procs.append(start_gunicorn("wsgi:app", app_port, env, ROOT))
        bare_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"vf-bench-bare-{os.getpid()}"
        bare_dir.mkdir(exist_ok=True)
        (bare_dir / "bare_app.py").write_text(BARE_APP)
        procs.append(start_gunicorn("bare_app:app", bare_port, os.environ | {"PYTHONPATH": str(bare_dir)}, bare_dir))
        auth = {"Authorization": f"Bearer {token}"}

        bare = load(bare_port, "/bare", {}, seconds)
        rows = [{"name": "bare Flask JSON", **bare, "ratio": 1.0}]
        print(f"bare         : {bare['rps']:>8,.0f} req/s  p95 {bare['p95_ms']:.1f} ms")
        for label, path in (
            ("targets", f"/targets/workspace/{workspace_id}"),
            ("leads", f"/leads/workspace/{workspace_id}"),
            ("interactions", f"/interactions/workspace/{workspace_id}"),
        ):
            sequential(app_port, f"{path}?limit={PAGE}", auth, 5)  # warm both workers' caches and pools
            figures = load(app_port, f"{path}?limit={PAGE}", auth, seconds)
            cursor = deep_cursor(app_port, path, auth, deep_pages)
            deep_path = f"{path}?limit={PAGE}&cursor={quote(cursor)}"
            first, deep = paired(app_port, f"{path}?limit={PAGE}", deep_path, auth, 60)
            row = {
                "name": f"GET {path.split('/')[1]} list",
                **figures,
                "ratio": figures["rps"] / bare["rps"],
                "first_ms": first,
                "deep_ms": deep,
            }
            rows.append(row)
            print(
                f"{label:<13}: {figures['rps']:>8,.0f} req/s  p95 {figures['p95_ms']:.1f} ms  "
                f"ratio {row['ratio']:.2f}  first {first:.1f} ms  deep {deep:.1f} ms  ({deep / first:.2f})"
            )
        summary = {
            "interactions": interactions,
            "targets": targets,
            "deep_pages": deep_pages,
            "date": datetime.now(UTC).date().isoformat(),
            "machine": machine(),
            "postgres": postgres,
        }
        worst = max(abs(r["deep_ms"] / r["first_ms"] - 1) for r in rows if "deep_ms" in r)
        print(f"deep vs first page: worst {worst:.0%} apart (aim: within 20%)")
        if not args.no_docs:
            write_docs(rows, summary, args.size)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=15)
        drop_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
