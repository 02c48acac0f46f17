"""API fuzzing: schemathesis against /openapi.json through the WSGI app, as two real users.

Checks: no 500, every response matching its declared schema and status codes, authentication enforced
where declared (ignored_auth), and no user reading another user's objects (object_level_authorization,
which needs the two identities listed as WFC `peers`).

A bounded run by default; FUZZ_EXAMPLES=<n> (examples per operation) and FUZZ_MAX_TIME=<seconds> raise it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from core.db import db
from core.models import DmTemplate, Integration
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.factories import make_account, make_interaction, make_target

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
MAX_TIME = int(os.environ.get("FUZZ_MAX_TIME", "100"))
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "ignored_auth",
    "object_level_authorization",
)
CLOSED = "http://127.0.0.1:9"  # nothing listens there: an outside call fails at once instead of leaving the box
SYSTEM = Actor.system("fuzz")


@pytest.fixture
def app_config():
    outside = (
        "INSTAGRAM_OAUTH_URL",
        "INSTAGRAM_API_URL",
        "TIKTOK_API_URL",
        "GOOGLE_TOKEN_URL",
        "GOOGLE_SHEETS_API_URL",
        "NOTION_API_URL",
        "HUBSPOT_API_URL",
        "PIPEDRIVE_API_URL",
        "SLACK_API_URL",
        "TELEGRAM_API_URL",
    )
    return {name: CLOSED for name in outside} | {
        "INSTAGRAM_CLIENT_ID": "ig",
        "INSTAGRAM_CLIENT_SECRET": "ig-secret",
        "TIKTOK_CLIENT_KEY": "tt",
        "TIKTOK_CLIENT_SECRET": "tt-secret",
    }


def _seed(app, factory, name: str) -> str:
    """A user with a workspace full of objects to read; returns their Bearer token."""
    user = factory.user(name=name)
    workspace = factory.workspace(user, name=f"{name}'s shop")
    ws = workspace["id"]
    with app.app_context():
        account = make_account(ws)
        for n in range(3):
            target = make_target(account, username=f"{name.lower()}_fan_{n}")
            make_interaction(target, text="how much is it?")
            if n == 0:
                leads.create(ws, target.id, actor=SYSTEM)
        db.session.add(DmTemplate(workspace_id=ws, name="Hello", body="Hi {{username}}"))
        integration = Integration(
            workspace_id=ws,
            kind="webhook",
            name="hook",
            config={"url": "https://hooks.invalid/in"},
            events=["lead.created"],
        )
        db.session.add(integration)
        db.session.flush()
        integration.store_secret("whsec-fuzz")
        db.session.commit()
    return user.token


def _config(tmp_path, tokens: dict[str, str]) -> SchemathesisConfig:
    wfc = tmp_path / "auth.json"
    wfc.write_text(
        json.dumps(
            {
                "schemaVersion": "1.0",
                "auth": [
                    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
                    for name, token in tokens.items()
                ],
            }
        )
    )
    return SchemathesisConfig.from_dict(
        {
            "seed": 1234,
            "max-time": MAX_TIME,
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "auth": {"wfc": {"path": str(wfc), "peers": list(tokens)}},
        }
    )


def _failures(engine_events) -> tuple[list[str], Counter]:
    failures: list[str] = []
    seen = Counter()
    for event in engine_events:
        if isinstance(event, events.NonFatalError):
            failures.append(f"error in {event.label}: {event.info.format()[:500] if hasattr(event, 'info') else event}")
        if isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception!r}")
        recorder = getattr(event, "recorder", None)
        if recorder is None or not isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            continue
        for case_id, checks in recorder.checks.items():
            for check in checks:
                seen[check.name] += 1
                if check.status == Status.FAILURE and check.failure_info is not None:
                    case = recorder.cases[case_id].value
                    info: Any = check.failure_info
                    sent = {"query": case.query, "body": case.body if not callable(case.body) else None}
                    failures.append(
                        f"{check.name} on {case.method} {case.formatted_path}: "
                        f"{getattr(info.failure, 'title', '')} {getattr(info.failure, 'message', '')}"[:500]
                        + f"\n    sent: {json.dumps(sent, default=repr)[:400]}"
                    )
    return failures, seen


@pytest.fixture
def wsgi_transport_shim(monkeypatch):
    """schemathesis 4.32 hands socket-level options (max_redirects, verify...) to werkzeug's EnvironBuilder on
    its auth probes through a WSGI app; drop them, as its own code does for a requests session."""
    from schemathesis.transport.wsgi import WSGITransport

    original = WSGITransport.send

    def send(self, case, *, session=None, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return original(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send)


@pytest.mark.slow
def test_fuzz_the_api_as_two_users(redis_app, tmp_path, wsgi_transport_shim):
    # Jobs are only queued (no worker runs), so fuzzed requests never reach outside services through a job.
    app = redis_app
    client = app.test_client()
    from tests.conftest import Factory

    factory = Factory(client)
    tokens = {"alice": _seed(app, factory, "Alice"), "bob": _seed(app, factory, "Bob")}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=_config(tmp_path, tokens))
    engine = schemathesis.engine.from_schema(schema)
    failures, seen = _failures(engine.execute())
    assert seen["not_a_server_error"] > 100, seen
    assert seen["ignored_auth"] and seen["object_level_authorization"], seen
    unique = sorted(set(failures))
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as report:
            report.write(json.dumps(seen) + "\n\n" + "\n\n".join(unique))
    assert not unique, f"{len(unique)} fuzzing failure(s):\n" + "\n".join(unique[:60])
