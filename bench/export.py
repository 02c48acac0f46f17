"""Benchmark the leads CSV export through the real HTTP route (gunicorn) against PostgreSQL's COPY.

    .venv/bin/python bench/export.py                # 100,000 leads
    .venv/bin/python bench/export.py --size full    # 1,000,000 leads

Builds (or reuses) a bench database, seeds N leads with targets, tags, owners and notes in SQL,
times `COPY (<the export's own SELECT>) TO STDOUT WITH CSV HEADER` as the baseline, then
starts gunicorn on a free loopback port and times `GET /leads/export/csv/<workspace>`, reading
the serving worker's peak memory (VmHWM in /proc/<pid>/status). Results go to stdout and to the
"## Export" section of docs/benchmarks.md.

BENCH_DATABASE_URL is a server/maintenance URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SIZES = {"small": 100_000, "full": 1_000_000}
DOCS = ROOT / "docs" / "benchmarks.md"
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "vistaflow_bench_export"


def database_urls() -> tuple[str, str]:
    admin = make_url(ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    plain = admin.set(database=DB_NAME).render_as_string(hide_password=False)
    return plain, make_url(plain).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def prepare(sa_url: str, size: int) -> tuple[int, str, int]:
    """Migrate, seed `size` leads if the database holds another number, and return (workspace id, token)."""
    os.environ.setdefault("VISTAFLOW_ENCRYPTION_KEYS", "k1:" + "B" * 43 + "=")
    from flask_migrate import upgrade

    from core.db import db
    from core.models import Door, User, Workspace
    from core.services.identity import api_tokens, auth
    from core.services.identity.actors import Actor
    from core.services.workspaces import lifecycle as workspaces
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": sa_url, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        user = db.session.query(User).filter_by(email="bench@example.com").one_or_none()
        if user is None:
            user = auth.register("bench@example.com", "bench-password-123", "Bench", door=Door.CLI)
        actor = Actor.for_user(user, Door.CLI)
        workspace = db.session.query(Workspace).filter_by(name="Bench export").one_or_none()
        if workspace is None:
            workspace = workspaces.create("Bench export", actor=actor)
        _, token = api_tokens.create(f"bench {datetime.now(UTC).isoformat()}", actor=actor)
        workspace_id, user_id = workspace.id, user.id
        db.session.commit()
        db.engine.dispose()
    return workspace_id, token, user_id


SEED_SQL = """
DELETE FROM social_accounts WHERE workspace_id = %(ws)s;
INSERT INTO social_accounts (workspace_id, platform, platform_user_id, username, account_type, status, paused,
                             created_at, updated_at)
VALUES (%(ws)s, 'instagram', 'bench-ig', 'bench.shop', 'BUSINESS', 'connected', false, now(), now());
INSERT INTO targets (workspace_id, social_account_id, platform, platform_user_id, username, first_seen_at,
                     last_seen_at, interactions_count, comments_count, messages_count, score, score_breakdown,
                     score_reasons, is_hot, needs_rescore, created_at)
SELECT %(ws)s, (SELECT id FROM social_accounts WHERE workspace_id = %(ws)s), 'instagram', 'p' || n,
       CASE WHEN n %% 97 = 0 THEN '=cmd' || n ELSE 'person_' || n END,
       now() - (n || ' minutes')::interval, now() - ((n %% 1000) || ' minutes')::interval,
       n %% 17, n %% 11, n %% 5, n %% 101, '{}'::jsonb, '[]'::jsonb, n %% 10 = 0, false, now()
FROM generate_series(1, %(size)s) AS n;
INSERT INTO leads (workspace_id, target_id, status, owner_user_id, notes, estimated_value, source, closed_at,
                   created_at, updated_at)
SELECT %(ws)s, t.id, (ARRAY['new','contacted','replied','qualified','won','lost'])[1 + t.id %% 6],
       CASE WHEN t.id %% 3 = 0 THEN %(user)s END,
       CASE WHEN t.id %% 4 = 0 THEN 'Met at the fair, said "call me", wants 3 items' END,
       CASE WHEN t.id %% 5 = 0 THEN (t.id %% 5000) + 0.5 END, 'auto_hot', NULL,
       now() - (t.id || ' seconds')::interval, now() - ((t.id %% 5000) || ' seconds')::interval
FROM targets t WHERE t.workspace_id = %(ws)s;
INSERT INTO lead_tags (lead_id, tag) SELECT id, 'vip' FROM leads WHERE workspace_id = %(ws)s AND id %% 3 = 0;
INSERT INTO lead_tags (lead_id, tag) SELECT id, 'wholesale' FROM leads WHERE workspace_id = %(ws)s AND id %% 7 = 0;
"""


def seed(pg_url: str, workspace_id: int, user_id: int, size: int) -> None:
    with psycopg.connect(pg_url, autocommit=False) as conn:
        have = conn.execute("SELECT count(*) FROM leads WHERE workspace_id = %s", (workspace_id,)).fetchone()[0]
        if have == size:
            print(f"reusing {size:,} seeded leads")
            return
        started = time.perf_counter()
        for statement in filter(str.strip, SEED_SQL.split(";\n")):
            conn.execute(statement, {"ws": workspace_id, "size": size, "user": user_id})
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE leads")
        conn.execute("VACUUM ANALYZE targets")
        conn.execute("VACUUM ANALYZE lead_tags")
        print(f"seeded {size:,} leads in {time.perf_counter() - started:.1f}s")


def copy_baseline(pg_url: str, sa_url: str, workspace_id: int) -> tuple[float, int]:
    """Seconds and bytes for COPY of the export's own SELECT (same columns, formatting and order)."""
    from sqlalchemy.dialects import postgresql

    from core.services.leads.export import export_statement
    from core.services.leads.queries import LeadFilters, LeadSort

    stmt = export_statement(workspace_id, LeadFilters(), LeadSort("updated", True), postgres=True)
    sql = str(stmt.compile(dialect=postgresql.psycopg.dialect(), compile_kwargs={"literal_binds": True}))
    total = 0
    started = time.perf_counter()
    with (
        psycopg.connect(pg_url) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY ({sql}) TO STDOUT WITH CSV HEADER") as copy,
    ):
        for chunk in copy:
            total += len(chunk)
    return time.perf_counter() - started, total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(sa_url: str, port: int) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": sa_url,
        "VISTAFLOW_ENV": "development",
        "WEB_CONCURRENCY": "1",
        "PYTHONPATH": str(ROOT),
        "LOG_JSON": "0",
    }
    env.pop("REDIS_URL", None)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/openapi.json")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM")


def reset_peak(pid: int) -> bool:
    """Reset the worker's VmHWM (Linux >= 4.0), so the peak measured is the export's, not the start-up's."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS")


def http_export(port: int, workspace_id: int, token: str) -> tuple[float, int, int]:
    """Seconds, bytes and lines of one export downloaded over HTTP."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", f"/leads/export/csv/{workspace_id}", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"export answered {response.status}: {response.read()[:500]!r}")
    total = lines = 0
    while chunk := response.read(1 << 16):
        total += len(chunk)
        lines += chunk.count(b"\n")
    return time.perf_counter() - started, total, lines


def previous_rows(size: int) -> list[str]:
    """Result rows of other sizes already in the Export section, kept beside the new one."""
    if not DOCS.exists() or "## Export" not in DOCS.read_text():
        return []
    section = DOCS.read_text().partition("## Export")[2].split("\n## ")[0]
    return [
        line
        for line in section.splitlines()
        if line.startswith("| ") and line[2:3].isdigit() and not line.startswith(f"| {size:,} |")
    ]


def write_docs(section: str) -> None:
    DOCS.parent.mkdir(exist_ok=True)
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    heading = "## Export"
    if heading in text:
        before, _, rest = text.partition(heading)
        following = rest.find("\n## ")
        after = rest[following + 1 :] if following != -1 else ""
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="small", help="small (100,000), full (1,000,000) or a number")
    parser.add_argument("--runs", type=int, default=2, help="runs of each side; the best is kept")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    size = SIZES.get(args.size) or int(args.size)

    pg_url, sa_url = database_urls()
    workspace_id, token, user_id = prepare(sa_url, size)
    seed(pg_url, workspace_id, user_id, size)

    copy_runs = [copy_baseline(pg_url, sa_url, workspace_id) for _ in range(args.runs)]
    copy_seconds, copy_bytes = min(copy_runs)
    port = free_port()
    server = start_gunicorn(sa_url, port)
    try:
        pid = worker_pid(server.pid)
        startup_mb = vm_hwm_mb(pid)
        idle_mb = vm_rss_mb(pid)
        was_reset = reset_peak(pid)
        http_runs = [http_export(port, workspace_id, token) for _ in range(args.runs)]
        peak_mb = vm_hwm_mb(pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    http_seconds, http_bytes, lines = min(http_runs)
    if lines != size + 1:
        raise SystemExit(f"the export returned {lines - 1} rows, expected {size}")

    copy_rate, http_rate = size / copy_seconds, size / http_seconds
    ratio = http_rate / copy_rate
    print(f"COPY baseline : {copy_rate:>12,.0f} rows/s  ({copy_seconds:.2f}s, {copy_bytes / 1e6:.1f} MB)")
    print(f"HTTP export   : {http_rate:>12,.0f} rows/s  ({http_seconds:.2f}s, {http_bytes / 1e6:.1f} MB)")
    print(f"ratio         : {ratio:.2f} of COPY (aim >= 0.25)")
    print(
        f"peak memory   : {peak_mb:.1f} MB VmHWM of the gunicorn worker during the exports "
        f"(RSS {idle_mb:.1f} MB before; start-up peak {startup_mb:.1f} MB; reset {'ok' if was_reset else 'FAILED'})"
    )

    if not args.no_docs:
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        section = (
            "## Export\n\n"
            "`bench/export.py` seeds leads in PostgreSQL, then times the CSV export through the real route "
            "(`GET /leads/export/csv/<workspace>`, gunicorn with one worker, read over loopback HTTP) against "
            "`COPY (<the export's own SELECT>) TO STDOUT WITH CSV HEADER` (same columns, formatting and order), "
            "best of "
            f"{args.runs} runs each. Peak memory is the gunicorn worker's VmHWM over the exports: it is reset "
            "(`/proc/<pid>/clear_refs` = 5) once the worker is up, because start-up alone peaks higher than the "
            "idle worker (the argon2 dummy hash computed at import allocates 64 MiB, then frees it).\n\n"
            "| Leads | COPY rows/s | HTTP export rows/s | Ratio | Worker peak memory | Date | Machine |\n"
            "|---|---|---|---|---|---|---|\n"
            + "".join(row + "\n" for row in previous_rows(size))
            + f"| {size:,} | {copy_rate:,.0f} | {http_rate:,.0f} | {ratio:.2f} | {peak_mb:.0f} MB "
            f"(idle RSS {idle_mb:.0f} MB, start-up peak {startup_mb:.0f} MB) | {when} | "
            f"{os.cpu_count()} CPU, Python {platform.python_version()} |\n\n"
            "Aim: at least 0.25 of COPY's rate and under 150 MB. Run: `.venv/bin/python bench/export.py` "
            "(100,000 leads) or `--size full` (1,000,000).\n"
        )
        write_docs(section)
        print(f"wrote {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
