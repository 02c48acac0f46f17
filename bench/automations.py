"""Automations benchmark: a signed Meta comment webhook to the automatic private reply at the Instagram emulator,
and a burst of 2,000 matching comments, on PostgreSQL and Redis with one RQ worker under gunicorn.

    .venv/bin/python bench/automations.py                 # small: 30 timed comments
    .venv/bin/python bench/automations.py --size full     # 100 timed comments

1. Latency: one comment at a time (nothing queued ahead), from the webhook's POST to the private reply reaching the
   emulator; the baseline is the one sending path alone, a person's `POST /dm/send` to the same emulator, so the
   ratio is what the automation (ingest, rescore, the rule pass) adds to a send.
2. Burst: 2,000 comments naming the keyword in 20 signed deliveries of 100 to an account with a quota of 5: how
   long until every comment met the rule (against storing them, the baseline), at most one private reply per
   comment, the sends' spacing against Meta's 750 an hour, and the quota.

A throw-away database and Redis database 14 are used and cleaned. Results go to stdout and to the "## Automations"
section of docs/benchmarks.md (unless --no-docs).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import itertools
import json
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import create_database, drop_database, free_port, machine, start_gunicorn  # noqa: E402
from tests.emulators.instagram import InstagramEmulator  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "bench-meta-secret"
SIZES = {"small": 30, "full": 100}
BURST, PER_DELIVERY, BURST_QUOTA = 2000, 100, 5
META_SPACING = 3600 / 750


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def signed_post(port: int, entries: list[dict]) -> None:
    body = json.dumps({"object": "instagram", "entry": entries}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/webhooks/meta", body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature})
    response = conn.getresponse()
    assert response.status == 200, response.read()[:300]
    conn.close()


def change(media_id: str, comment_id: str, user: str, text: str) -> dict:
    value = {"from": {"id": user, "username": f"fan_{user}"}, "media": {"id": media_id}, "id": comment_id, "text": text}
    return {"field": "comments", "value": value}


def wait_for(predicate, timeout: float, step: float = 0.005) -> float | None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return time.perf_counter()
        time.sleep(step)
    return None


def replied(emu: InstagramEmulator, comment_id: str) -> bool:
    return any(m["recipient"].get("comment_id") == comment_id for m in list(emu.sent_messages))


def instagram_account(emu: InstagramEmulator, workspace_id: int, name: str, quota: int) -> dict:
    """A connected account on the emulator with one post: its id, Instagram id and media id (no commit)."""
    from core.db import db
    from core.models import SocialAccount

    ig = emu.add_account(f"bench.{name}")
    account = SocialAccount(
        workspace_id=workspace_id,
        platform="instagram",
        platform_user_id=ig,
        username=f"bench.{name}",
        account_type="BUSINESS",
        status="connected",
        daily_dm_quota=quota,
    )
    db.session.add(account)
    db.session.flush()
    account.store_tokens(access_token=emu.issue_token(ig), expires_at=datetime.now(UTC) + timedelta(days=60))
    return {"id": account.id, "ig": ig, "media": emu.add_media(ig, caption=f"{name} drop")}


def prepare(sa_url: str, emu: InstagramEmulator) -> dict:
    """Migrate; a user, a workspace with three Instagram accounts on the emulator, a template and two rules."""
    from flask_migrate import upgrade

    from core.db import db
    from core.models import DmTemplate, Door, Workspace
    from core.services.automations import rules
    from core.services.identity import api_tokens, auth
    from core.services.identity.actors import Actor
    from core.services.workspaces import lifecycle as workspaces
    from core.services.workspaces.settings import merge
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": sa_url, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        user = auth.register("bench@example.com", "bench-password-123", "Bench", door=Door.CLI)
        actor = Actor.for_user(user, Door.CLI)
        workspace = workspaces.create("Bench automations", actor=actor)
        workspace.settings = merge(workspace.settings, {"dm_min_gap_seconds": 0, "dm_gap_jitter_seconds": 0})
        _, token = api_tokens.create("bench", actor=actor)
        user.email_verified_at = datetime.now(UTC)  # a second workspace needs a verified address
        plain = workspaces.create("Bench baseline (no rules)", actor=actor)
        accounts = {
            name: instagram_account(emu, workspace_id, name, quota)
            for name, workspace_id, quota in (
                ("auto", workspace.id, 1000),
                ("manual", workspace.id, 1000),
                ("burst", workspace.id, BURST_QUOTA),
                ("plain", plain.id, BURST_QUOTA),
            )
        }
        template = DmTemplate(workspace_id=workspace.id, name="Price list", body="Hi {{username}}, prices in bio!")
        db.session.add(template)
        db.session.commit()
        for name in ("auto", "burst"):
            rules.create(
                workspace.id,
                {
                    "name": f"Prix {name}",
                    "trigger": {
                        "on": ["comment"],
                        "keywords": ["prix", "price"],
                        "mediaIds": [accounts[name]["media"]],
                    },
                    "variants": [{"templateId": template.id, "weight": 100}],
                    "publicReplies": ["Sent you a DM 📩"],
                    "mode": "automatic",
                    "active": True,
                    "exclude": {"customers": False},
                },
                actor=actor,
            )
        result = {"workspace_id": workspace.id, "token": token, "accounts": accounts}
        assert db.session.get(Workspace, workspace.id) is not None
        db.engine.dispose()
    return result


def target_id(plain_url: str, ig_user: str) -> int | None:
    with psycopg.connect(plain_url) as conn:
        row = conn.execute("SELECT id FROM targets WHERE platform_user_id = %s", (ig_user,)).fetchone()
    return row[0] if row else None


def latency(port: int, emu: InstagramEmulator, setup: dict, n: int) -> list[float]:
    account = setup["accounts"]["auto"]
    found = []
    for i in range(n):
        user = f"51{i:08d}"
        comment = emu.add_comment(account["media"], "Quel est le prix ?", f"fan_{user}", user)
        started = time.perf_counter()
        signed_post(
            port,
            [
                {
                    "id": account["ig"],
                    "time": int(time.time()),
                    "changes": [change(account["media"], comment, user, "Quel est le prix ?")],
                }
            ],
        )
        done = wait_for(lambda c=comment: replied(emu, c), 30)
        if done is None:
            raise SystemExit(f"comment {i}: no private reply within 30 s")
        found.append(done - started)
        time.sleep(0.3)  # the public reply and the worker settle: nothing queued ahead of the next one
    return found


def direct_sends(port: int, emu: InstagramEmulator, setup: dict, plain_url: str, n: int) -> list[float]:
    account = setup["accounts"]["manual"]
    headers = {"Authorization": f"Bearer {setup['token']}", "Content-Type": "application/json"}
    found = []
    for i in range(n):
        user = f"52{i:08d}"
        comment = emu.add_comment(account["media"], "how much?", f"fan_{user}", user)
        signed_post(
            port,
            [
                {
                    "id": account["ig"],
                    "time": int(time.time()),
                    "changes": [change(account["media"], comment, user, "nice")],
                }
            ],
        )
        wait_for(lambda u=user: target_id(plain_url, u) is not None, 30, 0.05)
        time.sleep(0.3)  # the webhook's own rescore pass is done
        body = json.dumps({"targetId": target_id(plain_url, user), "commentId": comment, "text": "Hi! Prices in bio."})
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/dm/send", body, headers)
        response = conn.getresponse()
        assert response.status == 202, response.read()[:300]
        conn.close()
        done = wait_for(lambda c=comment: replied(emu, c), 30)
        if done is None:
            raise SystemExit(f"direct send {i}: not sent within 30 s")
        found.append(done - started)
    return found


def queues_idle(store: redis.Redis) -> bool:
    """No job waiting in a queue nor running (the scheduled sends for later aside)."""
    from rq import Queue
    from rq.registry import StartedJobRegistry

    return all(
        len(Queue(name, connection=store)) == 0 and len(StartedJobRegistry(name, connection=store)) == 0
        for name in ("interactive", "default", "bulk")
    )


def burst(port: int, emu: InstagramEmulator, setup: dict, plain_url: str, store: redis.Redis, key: str) -> dict:
    """2,000 matching comments to account `key`, in deliveries of 100: until every job they started is done."""
    account = setup["accounts"][key]
    deliveries = []
    for start in range(0, BURST, PER_DELIVERY):
        changes = []
        for i in range(start, start + PER_DELIVERY):
            user = f"5{len(key)}{i:08d}"
            comment = emu.add_comment(account["media"], "price please", f"fan_{user}", user)
            changes.append(change(account["media"], comment, user, "price please"))
        deliveries.append([{"id": account["ig"], "time": int(time.time()), "changes": changes}])

    def count(sql: str) -> int:
        with psycopg.connect(plain_url) as conn:
            return conn.execute(sql, {"a": account["id"]}).fetchone()[0]

    stored_sql = "SELECT count(*) FROM interactions WHERE social_account_id = %(a)s"
    started = time.perf_counter()
    for delivery in deliveries:
        signed_post(port, delivery)
    wait_for(lambda: count(stored_sql) >= BURST, 900, 0.1)
    done_at = wait_for(lambda: queues_idle(store) and queues_idle(store), 900, 0.1)
    result: dict = {"done_s": done_at - started}
    if key == "plain":
        return result
    wait_for(lambda: len([m for m in emu.sent_messages if m["ig_user_id"] == account["ig"]]) >= BURST_QUOTA, 120, 0.1)
    time.sleep(2 * META_SPACING)  # anything beyond the quota would show now
    sends = sorted(m["at"] for m in emu.sent_messages if m["ig_user_id"] == account["ig"])
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sends)]
    in_an_hour = max((sum(1 for t in sends if a <= t < a + timedelta(hours=1)) for a in sends), default=0)
    with psycopg.connect(plain_url) as conn:
        met = conn.execute(
            "SELECT count(*) FROM automation_triggers t JOIN interactions i ON i.id = t.interaction_id"
            " WHERE i.social_account_id = %(a)s",
            {"a": account["id"]},
        ).fetchone()[0]
        most = conn.execute(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM direct_messages WHERE social_account_id = %(a)s"
            " AND status IN ('approved','sending','sent','unknown') GROUP BY comment_platform_id) AS per_comment",
            {"a": account["id"]},
        ).fetchone()[0]
        waiting = conn.execute(
            "SELECT count(*) FROM direct_messages WHERE social_account_id = %(a)s AND status = 'approved'",
            {"a": account["id"]},
        ).fetchone()[0]
    per_comment: dict[str, int] = {}
    for m in emu.sent_messages:
        per_comment[m["recipient"].get("comment_id")] = per_comment.get(m["recipient"].get("comment_id"), 0) + 1
    return result | {
        "met": met,
        "sent": len(sends),
        "min_gap_s": min(gaps) if gaps else None,
        "in_an_hour": in_an_hour,
        "most_live_dms_per_comment": most,
        "most_sends_per_comment": max(per_comment.values()) if per_comment else 0,
        "waiting": waiting,
    }


def write_docs(section: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Automations\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    DOCS.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    n = SIZES[args.size]
    name, plain_url, sa_url = create_database()
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    procs: list[subprocess.Popen] = []
    try:
        with InstagramEmulator() as emu:
            os.environ.setdefault("VISTAFLOW_ENCRYPTION_KEYS", "k1:" + "B" * 43 + "=")
            setup = prepare(sa_url, emu)
            env = (
                os.environ
                | emu.config()
                | {
                    "DATABASE_URL": sa_url,
                    "REDIS_URL": REDIS_URL,
                    "SECRET_KEY": secrets.token_hex(16),
                    "META_APP_SECRET": SECRET,
                    "META_WEBHOOK_VERIFY_TOKEN": "bench",
                    "LOG_LEVEL": "WARNING",
                }
            )
            port = free_port()
            procs.append(start_gunicorn("wsgi:app", port, env, ROOT))
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            time.sleep(3)  # the worker is listening
            automatic = latency(port, emu, setup, n)
            direct = direct_sends(port, emu, setup, plain_url, n)
            baseline = burst(port, emu, setup, plain_url, store, "plain")
            crowd = burst(port, emu, setup, plain_url, store, "burst")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        store.flushdb()
        drop_database(name)

    auto_p50, auto_p95 = percentile(automatic, 0.5), percentile(automatic, 0.95)
    direct_p50, direct_p95 = percentile(direct, 0.5), percentile(direct, 0.95)
    lines = [
        "## Automations",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} by `bench/automations.py --size {args.size}` on {machine()};"
        " PostgreSQL, Redis, one RQ worker, gunicorn, the Instagram emulator on loopback.",
        "",
        "| measure | p50 | p95 | ratio p95 / baseline | aim |",
        "|---|---|---|---|---|",
        f"| signed comment webhook → automatic private reply at the emulator ({n} comments) | {auto_p50:.2f} s |"
        f" {auto_p95:.2f} s | {auto_p95 / direct_p95:.1f}x | p95 < 3 s: {'met' if auto_p95 < 3 else 'NOT met'} |",
        f"| baseline: `POST /dm/send` → private reply at the emulator ({n} sends) | {direct_p50:.2f} s |"
        f" {direct_p95:.2f} s | 1.0x | |",
        "",
        f"Burst of {BURST:,} matching comments in {BURST // PER_DELIVERY} signed deliveries of {PER_DELIVERY},"
        f" account quota {BURST_QUOTA}:",
        "",
        f"- every job the burst started was done {crowd['done_s']:.1f} s after the first POST, {crowd['met']:,}"
        f" comments met the rule; the same burst to a workspace without rules (storing, rescoring) took"
        f" {baseline['done_s']:.1f} s: ratio {crowd['done_s'] / baseline['done_s']:.2f}x;",
        f"- at most {crowd['most_live_dms_per_comment']} live DM and {crowd['most_sends_per_comment']} private reply"
        " per comment;",
        f"- {crowd['sent']} sent (quota {BURST_QUOTA}: {'held' if crowd['sent'] <= BURST_QUOTA else 'EXCEEDED'}),"
        f" {crowd['waiting']:,} approved and waiting for the next days' quota (each expires with the reason once its"
        " comment is 7 days old);",
        f"- pacing: at most {crowd['in_an_hour']} private replies in any hour (Meta's limit 750, enforced for every"
        " sender by the Instagram client's sliding window, core/platforms/pacing.py); the automation schedules its"
        f" sends {META_SPACING:.1f} s apart, the closest two went {crowd['min_gap_s']:.1f} s apart (RQ's scheduler"
        " moves due jobs once a second).",
        "",
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_docs:
        write_docs(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
