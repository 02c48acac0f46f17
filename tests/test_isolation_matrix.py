"""The isolation matrix: every route of the app, called with workspace B's objects, by workspace A's owner
and member and by an anonymous caller. Zero leaks (404 / 401 / login redirect) and B's data unchanged.

No route is left out: a rule of `app.url_map` that this file does not know how to fill or classify fails
`test_every_route_is_classified` with a message saying how to add it. Routes with URL parameters are
covered automatically as long as each parameter name is in PARAM_KINDS.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select

from console.api.spec import OPERATIONS
from console.errors import HTML_BLUEPRINTS
from core import jobs
from core.db import db, utcnow
from core.models import (
    AutomationRule,
    AutomationTrigger,
    AutomationVariant,
    ChatMessage,
    ChatUserLink,
    ConsoleSession,
    Conversation,
    Delivery,
    DirectMessage,
    DmTemplate,
    Integration,
    InteractionLabel,
    Invitation,
    OutboxEvent,
    ReaderVersion,
    Sequence,
    SequenceEnrollment,
    TelegramChat,
    Workspace,
)
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.conftest import CSRF_RE, DEFAULT_PASSWORD
from tests.factories import make_account, make_interaction, make_target

SYSTEM = Actor.system("isolation-matrix")

# Routes anyone may call, each with the reason it needs no workspace membership.
PUBLIC = {
    "static": "the app's static files",
    "web.static": "console assets (CSS, icons)",
    "docs.docs_asset": "API docs assets",
    "docs.docs_page": "the public API reference page",
    "docs.openapi_json": "the public OpenAPI document",
    "ops.healthz": "liveness probe, says only 'ok'",
    "ops.readyz": "readiness probe, no tenant data",
    "ops.metrics": "loopback or METRICS_TOKEN only (tests/console/test_ops.py)",
    "auth.register_post": "creates an account: how credentials are obtained",
    "auth.login_post": "exchanges a password for a token",
    "web.login": "the login page",
    "web.signup": "the signup page",
    "auth.request_password_reset_post": "asks for a reset link: the same answer for every address",
    "auth.confirm_password_reset_post": "authenticated by the single-use mailed token",
    "web.forgot_password": "the forgot-password page",
    "web.reset_password": "authenticated by the single-use mailed token (tests/core/mail)",
    "invitations.accept_invitation_post": "the single-use mailed token, for the invited address only",
    "web.invitation": "the single-use mailed token, accepted only by the invited address",
    "auth.verify_email_post": "the signed link mailed at sign-up, bound to the user and the address",
    "web.verify_email": "the signed link mailed at sign-up, bound to the user and the address",
    "web.unsubscribe_page": "the signed unsubscribe link of a mail: it only shows the address",
    "web.unsubscribe_now": "RFC 8058 one-click unsubscribe: the signed link can only turn a mail off",
    "social_accounts.instagram_callback_get": "OAuth callback, authenticated by the single-use signed state",
    "social_accounts.tiktok_callback_get": "OAuth callback, authenticated by the single-use signed state",
    "webhooks.meta_challenge_get": "Meta subscription check, authenticated by META_WEBHOOK_VERIFY_TOKEN",
    "webhooks.meta_delivery_post": "Meta webhook, authenticated by X-Hub-Signature-256",
    "slack.events": "Slack events and actions, authenticated by the SLACK_SIGNING_SECRET signature",
    "slack_install.oauth_redirect": "Slack OAuth callback, authenticated by the single-use signed state",
    "telegram.webhook": "Telegram updates, authenticated by X-Telegram-Bot-Api-Secret-Token",
}

# Routes without URL parameters that act on the caller only (their own profile, tokens, workspace list).
# They are called anonymously (must be refused); calling them as A proves nothing about B.
SELF = {
    "web.home": "redirects to one of the caller's workspaces",
    "web.new_workspace": "creates a workspace owned by the caller",
    "web.profile": "the caller's profile page",
    "web.update_profile": "the caller's profile",
    "web.change_password": "the caller's password",
    "web.create_token": "the caller's API tokens",
    "web.delete_account": "the caller's own account",
    "web.logout": "the caller's session",
    "web.end_other_sessions": "the caller's other sign-ins",
    "web.resend_verification": "mails the caller's own verification link",
    "users.resend_verification_post": "mails the caller's own verification link",
    "auth.me_get": "the caller",
    "auth.me_post_post": "the caller",
    "users.get_me_get": "the caller",
    "users.update_me_patch": "the caller",
    "users.delete_me_delete": "the caller",
    "users.change_password_post": "the caller",
    "users.list_tokens_get": "the caller's tokens",
    "users.create_token_post": "the caller's tokens",
    "workspaces.list_workspaces_get": "only the caller's workspaces",
    "workspaces.create_workspace_post": "creates a workspace owned by the caller",
}

# Routes without URL parameters whose workspace-scoped ids travel in the query string or the body:
# endpoint -> (query, body) built from the world (B's ids).
CARRIED = {
    "social_accounts.instagram_auth_url_get": lambda w: ({"workspaceId": w.b["workspace_id"]}, None),
    "social_accounts.tiktok_auth_url_get": lambda w: ({"workspaceId": w.b["workspace_id"]}, None),
    "dm.send_post": lambda w: (None, {"targetId": w.b["target_id"], "text": "hello"}),
    "dm.create_draft_post": lambda w: (None, {"targetId": w.b["target_id"], "text": "hello"}),
    "slack_install.install": lambda w: ({"workspace_id": w.b["workspace_id"]}, None),
}
# Routes outside the console blueprint that still use the console's cookie session (and CSRF).
COOKIE_ROUTES = {"slack_install.install"}

# Operator-only routes: 404 for everyone who is not a platform operator (issue 12).
ADMIN_PREFIXES = ("/admin/", "/console/admin")

# URL parameter name -> key of the world's per-workspace objects.
PARAM_KINDS = {
    "workspace_id": "workspace_id",
    "account_id": "account_id",
    "target_id": "target_id",
    "lead_id": "lead_id",
    "dm_id": "dm_id",
    "template_id": "template_id",
    "sequence_id": "sequence_id",
    "enrollment_id": "enrollment_id",
    "integration_id": "integration_id",
    "delivery_id": "delivery_id",
    "job_id": "job_id",
    "user_id": "member_user_id",
    "token_id": "token_id",
    "session_id": "console_session_id",
    "invitation_id": "invitation_id",
    "chat_row_id": "telegram_chat_id",
    "link_id": "chat_link_id",
    "conversation_id": "conversation_id",
    "interaction_id": "interaction_id",
    "rule_id": "rule_id",
    "variant_id": "variant_id",
}
# URL parameters that are not objects: a fixed valid value.
LITERALS = {"platform": "instagram", "action": "suspend"}

# Console forms get every field any form of ours reads, so validation never hides the authorization check.
CONSOLE_FORM = {
    "status": "contacted",
    "role": "member",
    "confirm": "ERASE",
    "name": "x",
    "notes": "x",
    "email": "x@example.com",
    "time_zone": "UTC",
    "daily_dm_quota": "10",
    "lead_ids": "1",
}
# JSON bodies the schema-derived sample cannot guess: endpoint -> body builder.
BODIES: dict[str, Any] = {
    "workspaces.change_member_role_patch": lambda objects: {"role": "member"},
}


@pytest.fixture
def app_config():
    # Every outside app configured, so no route answers "not configured" before checking access.
    return {
        "SLACK_CLIENT_ID": "slack-client",
        "SLACK_CLIENT_SECRET": "slack-secret",
        "SLACK_SIGNING_SECRET": "slack-signing",
        "INSTAGRAM_CLIENT_ID": "ig-client",
        "INSTAGRAM_CLIENT_SECRET": "ig-secret",
        "TIKTOK_CLIENT_KEY": "tt-client",
        "TIKTOK_CLIENT_SECRET": "tt-secret",
        "TELEGRAM_BOT_TOKEN": "123:tg",
        "TELEGRAM_WEBHOOK_SECRET": "tg-secret",
    }


@dataclass
class World:
    a: dict[str, Any] = field(default_factory=dict)
    b: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    b_user_ids: list[int] = field(default_factory=list)


def _populate(app, factory, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    owner = factory.user(name=f"{name} owner")
    workspace = factory.workspace(owner, name=f"Workspace {name}")
    member = factory.member(owner, workspace["id"])
    token = owner.post("/users/me/tokens", json={"name": f"{name} token"})
    assert token.status_code == 201, token.get_json()
    ws = workspace["id"]
    with app.app_context():
        account = make_account(ws, username=f"{name.lower()}_shop")
        target = make_target(account, username=f"{name.lower()}_person")
        interaction = make_interaction(target, text=f"how much? ({name})", raw={"from": name})
        lead = leads.create(ws, target.id, actor=SYSTEM)
        template = DmTemplate(workspace_id=ws, name=f"{name} template", body="Hi {{username}}")
        db.session.add(template)
        db.session.add(InteractionLabel(workspace_id=ws, interaction_id=interaction.id, label="buyer"))
        db.session.add(ReaderVersion(workspace_id=ws, version=1, labels=1, weights={}, quality={}, is_active=True))
        db.session.flush()
        dm = DirectMessage(
            workspace_id=ws,
            social_account_id=account.id,
            target_id=target.id,
            template_id=template.id,
            kind="message",
            text=f"Hi from {name}",
            status="draft",
        )
        sequence = Sequence(
            workspace_id=ws, name=f"{name} sequence", steps=[{"template_id": template.id, "delay_hours": 0}]
        )
        db.session.add_all([dm, sequence])
        db.session.flush()
        enrollment = SequenceEnrollment(
            workspace_id=ws,
            sequence_id=sequence.id,
            target_id=target.id,
            status="paused",
            next_step_at=utcnow() + timedelta(days=1),
        )
        integration = Integration(
            workspace_id=ws,
            kind="webhook",
            name=f"{name} hook",
            config={"url": "https://hooks.example.com/x"},
            events=["lead.created"],
        )
        rule = AutomationRule(
            workspace_id=ws, name=f"{name} rule", trigger={"on": ["comment"], "keywords": ["price"]}, exclusions={}
        )
        db.session.add_all([enrollment, integration, rule])
        db.session.flush()
        variant = AutomationVariant(rule_id=rule.id, label="A", template_id=template.id, weight=50)
        db.session.add(variant)
        db.session.flush()
        db.session.add(
            AutomationTrigger(
                workspace_id=ws,
                interaction_id=interaction.id,
                rule_id=rule.id,
                variant_id=variant.id,
                target_id=target.id,
                dm_id=dm.id,
                outcome="drafted",
            )
        )
        integration.store_secret(f"whsec-{name}-secret")
        event = OutboxEvent(
            event_id=f"evt-{name}-{ws}",
            workspace_id=ws,
            type="lead.created",
            data={"lead_id": lead.id, "target_id": target.id},
            dispatched_at=utcnow(),
        )
        db.session.add(event)
        db.session.flush()
        delivery = Delivery(
            integration_id=integration.id,
            outbox_event_id=event.id,
            workspace_id=ws,
            event_type="lead.created",
            status="failed",
            attempts=3,
            last_error="HTTP 500",
        )
        db.session.add(delivery)
        telegram = TelegramChat(workspace_id=ws, chat_id=-1000 - ws, title=f"{name} chat", chat_type="group")
        link = ChatUserLink(
            workspace_id=ws,
            provider="slack",
            external_id=f"U{name}{ws}",
            user_id=member.user["id"],
            linked_via="console",
        )
        conversation = Conversation(
            workspace_id=ws,
            social_account_id=account.id,
            target_id=target.id,
            state="open",
            last_item_at=utcnow(),
            last_inbound_at=utcnow(),
        )
        sign_in = ConsoleSession(user_id=owner.user["id"], key_hash=hashlib.sha256(f"{name}{ws}".encode()).hexdigest())
        invitation = Invitation(
            workspace_id=ws,
            email=f"invitee-{name}@example.com",
            role="member",
            token_hash=hashlib.sha256(f"invite-{name}{ws}".encode()).hexdigest(),
            expires_at=utcnow() + timedelta(days=7),
        )
        db.session.add_all([telegram, link, conversation, sign_in, invitation])
        db.session.add(
            ChatMessage(
                workspace_id=ws,
                provider="slack",
                chat_id="C1",
                kind="hot_target",
                event_key=f"evt-{name}",
                target_id=target.id,
                data={},
            )
        )
        db.session.commit()
        run = jobs.record("worker.jobs.maintenance.purge_audit_log", kind="matrix", workspace_id=ws)
        run.status = "failed"
        db.session.commit()
        objects = {
            "workspace_id": ws,
            "account_id": account.id,
            "target_id": target.id,
            "lead_id": lead.id,
            "dm_id": dm.id,
            "template_id": template.id,
            "sequence_id": sequence.id,
            "enrollment_id": enrollment.id,
            "integration_id": integration.id,
            "delivery_id": delivery.id,
            "job_id": run.id,
            "member_user_id": member.user["id"],
            "token_id": token.get_json()["id"],
            "console_session_id": sign_in.id,
            "invitation_id": invitation.id,
            "telegram_chat_id": telegram.id,
            "chat_link_id": link.id,
            "conversation_id": conversation.id,
            "interaction_id": interaction.id,
            "rule_id": rule.id,
            "variant_id": variant.id,
        }
    people = {"owner": owner, "member": member}
    return objects, people


@pytest.fixture
def world(app, factory) -> World:
    world = World()
    world.a, people_a = _populate(app, factory, "A")
    world.b, people_b = _populate(app, factory, "B")
    world.tokens = {"owner": people_a["owner"].token, "member": people_a["member"].token}
    world.emails = {"owner": people_a["owner"].email, "member": people_a["member"].email}
    world.b_user_ids = [people_b["owner"].user["id"], people_b["member"].user["id"]]
    return world


# ------------------------------------------------------------------ B's data, before and after


def snapshot(world: World) -> str:
    """Every row that belongs to workspace B or its users, as one comparable string."""
    db.session.expire_all()
    ws = world.b["workspace_id"]
    rows: dict[str, list] = {}
    for table in db.metadata.sorted_tables:
        columns = {c.name for c in table.columns}
        if table.name == "workspaces":
            stmt = select(table).where(table.c.id == ws)
        elif "workspace_id" in columns:
            stmt = select(table).where(table.c.workspace_id == ws)
        elif table.name == "users":
            stmt = select(table).where(table.c.id.in_(world.b_user_ids))
        elif "user_id" in columns:
            stmt = select(table).where(table.c.user_id.in_(world.b_user_ids))
        else:
            continue
        order = [c for c in table.primary_key.columns]
        rows[table.name] = [dict(r._mapping) for r in db.session.execute(stmt.order_by(*order))]
    return json.dumps(rows, default=str, sort_keys=True)


# ------------------------------------------------------------------ routes


def api_rules(app):
    return [r for r in app.url_map.iter_rules()]


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def is_html(rule) -> bool:
    return rule.endpoint.split(".")[0] in HTML_BLUEPRINTS or rule.endpoint in COOKIE_ROUTES


def is_admin(rule) -> bool:
    return rule.rule.startswith(ADMIN_PREFIXES)


def classify(rule) -> str:
    if rule.endpoint in PUBLIC:
        return "public"
    if is_admin(rule):
        return "admin"
    if rule.arguments:
        return "scoped"
    if rule.endpoint in CARRIED:
        return "carried"
    if rule.endpoint in SELF:
        return "self"
    return "unknown"


def build_url(rule, values: dict[str, Any]) -> str:
    url = rule.rule
    for converter_arg in re.findall(r"<(?:[^:<>]+:)?([a-z_]+)>", rule.rule):
        url = re.sub(r"<(?:[^<>]+:)?" + converter_arg + ">", str(values[converter_arg]), url, count=1)
    return url


def fillable(rule) -> bool:
    return all(name in PARAM_KINDS or name in LITERALS for name in rule.arguments)


def param_values(rule, objects: dict[str, Any], workspace_from: dict[str, Any] | None = None) -> dict[str, Any]:
    values = {}
    for name in rule.arguments:
        if name in LITERALS:
            values[name] = LITERALS[name]
        else:
            values[name] = objects[PARAM_KINDS[name]]
    if workspace_from is not None and "workspace_id" in values:
        values["workspace_id"] = workspace_from["workspace_id"]
    return values


def _operation(rule, method: str):
    path = re.sub(r"<(?:[^<>]+:)?([a-z_]+)>", r"<\1>", rule.rule)
    for op in OPERATIONS:
        if op.method == method and re.sub(r"<(?:[^<>]+:)?([a-z_]+)>", r"<\1>", op.rule) == path:
            return op
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _sample(schema: dict[str, Any], defs: dict[str, Any], name: str, objects: dict[str, Any]) -> Any:
    """A minimal valid value for a JSON schema; ids are B's objects of that name."""
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].split("/")[-1]], defs, name, objects)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _sample(options[0], defs, name, objects) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    key = _snake(name)
    if kind == "integer":
        for candidate in (key, key + "_id", key.removesuffix("s") + "_id"):
            if candidate in PARAM_KINDS:
                return objects[PARAM_KINDS[candidate]]
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        item = _sample(schema.get("items", {}), defs, name.removesuffix("s") if name.endswith("ids") else name, objects)
        return [item] if item is not None else []
    if kind == "object":
        required = schema.get("required", [])
        return {p: _sample(s, defs, p, objects) for p, s in schema.get("properties", {}).items() if p in required}
    if kind == "string":
        if schema.get("format") == "email":
            return "someone@example.com"
        return "x" * max(1, schema.get("minLength", 1))
    return None


def json_body(rule, method: str, objects: dict[str, Any]) -> Any:
    if rule.endpoint in BODIES:
        return BODIES[rule.endpoint](objects)
    op = _operation(rule, method)
    if op is None or op.body is None:
        return None
    schema = op.body.model_json_schema()
    return _sample(schema, schema.get("$defs", {}), "body", objects)


# ------------------------------------------------------------------ callers


class Caller:
    """One identity: a Bearer token for the API and a logged-in cookie session for the console."""

    def __init__(self, app, token: str | None, email: str | None) -> None:
        self.token = token
        self.api = app.test_client()
        self.console = app.test_client()
        if email:
            page = self.console.get("/login").get_data(as_text=True)
            response = self.console.post(
                "/login",
                data={"csrf_token": CSRF_RE.search(page).group(1), "email": email, "password": DEFAULT_PASSWORD},
            )
            assert response.status_code in (302, 303), "console login failed"
        page = self.console.get("/login").get_data(as_text=True)
        match = CSRF_RE.search(page)
        if match is None:  # already logged in: /login redirects; take a token from the profile page
            match = CSRF_RE.search(self.console.get("/account").get_data(as_text=True))
        self.csrf = match.group(1)

    def call(self, rule, method: str, url: str, *, query=None, body=None):
        if is_html(rule):
            data = {"csrf_token": self.csrf, **CONSOLE_FORM} if method != "GET" else None
            return self.console.open(url, method=method, data=data, query_string=query)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.api.open(url, method=method, json=body, headers=headers, query_string=query)


def expect_not_found(response, what: str) -> str | None:
    if response.status_code == 404:
        return None
    hint = ""
    if response.status_code == 422:
        hint = " (validation ran before the access check: add a valid body to BODIES or CONSOLE_FORM)"
    return f"{what}: expected 404, got {response.status_code}{hint}: {response.get_data(as_text=True)[:300]}"


def expect_refused_anonymous(rule, response, what: str) -> str | None:
    if is_html(rule):
        location = response.headers.get("Location", "")
        if response.status_code in (302, 303) and "/login" in location:
            return None
        if is_admin(rule) and response.status_code == 404:
            return None
        return f"{what}: expected a redirect to /login, got {response.status_code} {location}"
    if response.status_code == 401:
        return None
    return f"{what}: expected 401, got {response.status_code}: {response.get_data(as_text=True)[:300]}"


# ------------------------------------------------------------------ the tests


def test_every_route_is_classified(app):
    problems = []
    for rule in app.url_map.iter_rules():
        kind = classify(rule)
        if kind == "unknown":
            problems.append(
                f"{rule.rule} ({rule.endpoint}) has no URL parameter and is not classified: add it to "
                "PUBLIC (with the reason it needs no membership), SELF (acts on the caller only) or CARRIED "
                "(its workspace-scoped ids travel in the query/body) in tests/test_isolation_matrix.py"
            )
        for name in rule.arguments:
            if kind in ("scoped", "admin") and name not in PARAM_KINDS and name not in LITERALS:
                problems.append(
                    f"{rule.rule} ({rule.endpoint}): unknown URL parameter {name!r}: add it to PARAM_KINDS "
                    "(and create that object for each workspace in _populate) or to LITERALS in "
                    "tests/test_isolation_matrix.py"
                )
    stale = [name for name in [*PUBLIC, *SELF, *CARRIED] if name not in {r.endpoint for r in app.url_map.iter_rules()}]
    assert not problems, "no route left out:\n" + "\n".join(problems)
    assert not stale, f"allow-listed endpoints that no longer exist (remove them): {stale}"


def test_no_cross_workspace_leak_on_any_route(app, world):
    with app.app_context():
        before = snapshot(world)
    callers = {role: Caller(app, world.tokens[role], world.emails[role]) for role in ("owner", "member")}
    failures: list[str] = []
    covered = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        kind = classify(rule)
        if kind not in ("scoped", "carried") or not fillable(rule):
            continue  # test_every_route_is_classified names it
        variants = []
        if kind == "scoped":
            variants.append(("B's ids", param_values(rule, world.b), ("owner", "member")))
            if "workspace_id" in rule.arguments and len(set(rule.arguments) - {"workspace_id"} - set(LITERALS)):
                # A's own workspace in the URL with B's object: the object must still be out of reach.
                variants.append(("A's workspace, B's object", param_values(rule, world.b, world.a), ("owner",)))
        else:
            variants.append(("B's ids in query/body", {}, ("owner", "member")))
        for label, values, roles in variants:
            url = build_url(rule, values)
            for method in methods_of(rule):
                query, body = CARRIED[rule.endpoint](world) if kind == "carried" else (None, None)
                if body is None and not is_html(rule) and method in ("POST", "PUT", "PATCH"):
                    body = json_body(rule, method, world.b)
                for role in roles:
                    response = callers[role].call(rule, method, url, query=query, body=body)
                    failure = expect_not_found(response, f"{method} {url} [{rule.endpoint}] as A's {role}, {label}")
                    if failure:
                        failures.append(failure)
                    covered += 1
        with app.app_context():
            after = snapshot(world)
        if after != before:
            failures.append(f"{rule.rule} [{rule.endpoint}] changed workspace B's data")
            before = after
    assert covered > 50
    assert not failures, f"{len(failures)} leak(s):\n" + "\n".join(failures)


def test_anonymous_callers_are_refused_everywhere(app, world):
    with app.app_context():
        before = snapshot(world)
    anonymous = Caller(app, None, None)
    failures = []
    for rule in app.url_map.iter_rules():
        kind = classify(rule)
        if kind in ("public", "unknown") or not fillable(rule):
            continue  # test_every_route_is_classified names it
        values = param_values(rule, world.b) if rule.arguments else {}
        url = build_url(rule, values)
        for method in methods_of(rule):
            query, body = CARRIED[rule.endpoint](world) if kind == "carried" else (None, None)
            response = anonymous.call(rule, method, url, query=query, body=body)
            failure = expect_refused_anonymous(rule, response, f"{method} {url} [{rule.endpoint}] anonymously")
            if failure:
                failures.append(failure)
    with app.app_context():
        assert snapshot(world) == before, "an anonymous call changed workspace B's data"
    assert not failures, "\n".join(failures)


def test_operator_routes_are_404_for_owners_and_members(app, world):
    callers = {role: Caller(app, world.tokens[role], world.emails[role]) for role in ("owner", "member")}
    failures = []
    admin_rules = [r for r in app.url_map.iter_rules() if is_admin(r) and fillable(r)]
    assert admin_rules
    for rule in admin_rules:
        url = build_url(rule, param_values(rule, world.b))
        for method in methods_of(rule):
            for role, caller in callers.items():
                failure = expect_not_found(caller.call(rule, method, url), f"{method} {url} as A's {role}")
                if failure:
                    failures.append(failure)
    with app.app_context():
        assert not db.session.get(Workspace, world.b["workspace_id"]).is_suspended
    assert not failures, "\n".join(failures)


def test_the_world_has_every_kind_of_object(app, world):
    """Guard: a table with a workspace_id but no object in the world is probably a new resource to add."""
    known = {
        "workspaces",
        "memberships",
        "social_accounts",
        "targets",
        "interactions",
        "leads",
        "lead_events",
        "dm_templates",
        "direct_messages",
        "dm_events",
        "sequences",
        "sequence_enrollments",
        "integrations",
        "deliveries",
        "outbox_events",
        "audit_log",
        "job_runs",
        "chat_messages",
        "do_not_contact",
        "telegram_chats",
        "chat_user_links",
        "conversations",
        "invitations",
        "interaction_labels",
        "reader_versions",
        "automation_rules",
        "automation_triggers",
    }
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        scoped = {t for t in tables if "workspace_id" in {c["name"] for c in inspect(db.engine).get_columns(t)}}
    # Tables of bot installs and link codes have no route that takes their id; they are listed for review.
    # Tables no route takes an id of (reached only through their workspace), reviewed by hand.
    reviewed = {
        "slack_installations",
        "chat_link_codes",
        "lead_tags",
        "quota_usage",
        "media_states",
        "account_collection_states",
        "oauth_states",
    }
    unknown = scoped - known - reviewed
    assert not unknown, (
        f"tables {sorted(unknown)} hold workspace data the isolation world does not create: add an object of each "
        "to _populate (and its id name to PARAM_KINDS if a route takes it), or list it in `reviewed` with a reason"
    )
