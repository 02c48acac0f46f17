"""The demo workspace: a sandbox Instagram account with weeks of realistic activity, made through the real services.

Collection and scoring run as recorded jobs against the sandbox adapter, drafts and leads go through their
services; only the history of DMs sent in past weeks is written directly (a send always happens "now").
Idempotent: a second run finds the demo and changes nothing. Refused in production.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from core import job_names, jobs
from core.db import db, utcnow
from core.errors import Conflict, Forbidden
from core.i18n import _
from core.models import (
    AuditEntry,
    DirectMessage,
    DmEvent,
    DmStatus,
    Door,
    Interaction,
    Membership,
    QuotaUsage,
    SocialAccount,
    Target,
    User,
    Workspace,
)
from core.platforms import sandbox
from core.services import audit
from core.services.collection import cycle as collection
from core.services.collection import ingest
from core.services.identity import auth
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.outreach import dms, templates
from core.services.outreach import settings as dm_settings
from core.services.workspaces import lifecycle as workspaces
from core.services.workspaces.settings import read as read_settings

log = logging.getLogger(__name__)

DEMO_EMAIL = "demo@vistaflow.example"
TEAMMATE_EMAIL = "theo.demo@vistaflow.example"
WORKSPACE_NAME = "Maison Lumière (demo)"
ACCOUNT_USERNAME = "maison.lumiere"
TIME_ZONE = "Europe/Paris"
SCORE_JOB = job_names.RESCORE_WORKSPACE
TEMPLATES = [
    (
        "Friendly hello (EN)",
        "Hi {{username}}! Thanks for your comment “{{comment_excerpt}}”. Here is everything about "
        "our candles and prices: {{post_url}} — happy to help with an order. {{account_name}}",
    ),
    (
        "Bonjour (FR)",
        "Bonjour {{username}} ! Merci pour votre message « {{comment_excerpt}} ». Tous nos prix et "
        "la boutique : {{post_url}}. On vous aide avec plaisir pour la commande ! {{account_name}}",
    ),
]
LEAD_PLAN = ["new"] * 4 + ["contacted"] * 4 + ["replied"] * 3 + ["qualified"] * 3 + ["won"] * 3 + ["lost"] * 2
PATH = ["contacted", "replied", "qualified", "won"]
TAGS = ["gift", "wedding", "wholesale", "refill", "workshop"]
DONE = "demo.created"  # audit action written last: a demo without it was interrupted and is made again


@dataclass
class DemoResult:
    created: bool
    email: str
    password: str
    workspace_id: int
    counts: dict[str, int]


def demo_password() -> str:
    """Derived from SECRET_KEY: printable again on every run without storing it, different per install."""
    secret = current_app.config["SECRET_KEY"].encode()
    return "demo-" + hmac.new(secret, b"vistaflow-demo-password", hashlib.sha256).hexdigest()[:12]


def _refuse_in_production() -> None:
    if current_app.config.get("VISTAFLOW_ENV") == "production":
        raise Forbidden(
            _(
                "The demo is refused in production (VISTAFLOW_ENV=production): it creates a sandbox "
                "account that records DMs instead of sending them. Run it on a development install."
            )
        )


def _demo_workspaces(user: User) -> list[Workspace]:
    return list(
        db.session.scalars(
            select(Workspace)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .join(SocialAccount, SocialAccount.workspace_id == Workspace.id)
            .where(Membership.user_id == user.id, SocialAccount.account_type == sandbox.ACCOUNT_TYPE)
            .order_by(Workspace.id)
        ).unique()
    )


def _complete(workspace: Workspace) -> bool:
    return (
        db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.workspace_id == workspace.id, AuditEntry.action == DONE).limit(1)
        )
        is not None
    )


def find() -> tuple[User, Workspace] | None:
    """The demo user and their finished demo workspace (holding a sandbox account), if the demo exists."""
    user = auth.find_user_by_email(DEMO_EMAIL)
    if user is None:
        return None
    workspace = next((w for w in _demo_workspaces(user) if _complete(w)), None)
    return (user, workspace) if workspace is not None else None


def _drop_interrupted() -> None:
    # A run that died halfway (Ctrl-C, a crash) left a demo workspace without its DONE mark: start over.
    user = auth.find_user_by_email(DEMO_EMAIL)
    unfinished = [w for w in _demo_workspaces(user) if not _complete(w)] if user else []
    if unfinished and db.session.get_bind().dialect.name == "sqlite":
        # SQLite applies the ON DELETE CASCADE of the schema only with this pragma (set outside a transaction).
        db.session.commit()
        db.session.execute(sa.text("PRAGMA foreign_keys=ON"))
    for workspace in unfinished:
        log.warning("dropping the unfinished demo workspace %s", workspace.id)
        db.session.delete(workspace)
    db.session.commit()


def create_demo(now: datetime | None = None) -> DemoResult:
    """Create the demo (user, workspace, sandbox account, activity, drafts, leads) unless it exists."""
    _refuse_in_production()
    password = demo_password()
    found = find()
    if found is not None:
        return DemoResult(False, DEMO_EMAIL, password, found[1].id, {})
    _drop_interrupted()
    user = auth.find_user_by_email(DEMO_EMAIL) or auth.register(
        DEMO_EMAIL, password, "Camille (demo)", door=Door.CLI, verified=True
    )
    actor = Actor(user_id=user.id, door=Door.CLI, label=f"demo ({user.email})")
    workspace = workspaces.create(WORKSPACE_NAME, actor=actor, time_zone=TIME_ZONE)
    teammate = auth.find_user_by_email(TEAMMATE_EMAIL) or auth.register(
        TEAMMATE_EMAIL, uuid.uuid4().hex, "Théo (demo teammate)", door=Door.CLI, verified=True
    )
    workspaces.add_member(workspace.id, teammate.email, "member", actor=actor)
    account = connect_sandbox_account(workspace.id, user.id)
    now = now or utcnow()
    counts = _activity(workspace.id, account.id, user.id, now)
    counts.update(_outreach_and_leads(workspace.id, account.id, actor, teammate.id, now))
    audit.record(
        actor, DONE, workspace_id=workspace.id, subject_type="workspace", subject_id=workspace.id, details=counts
    )
    db.session.commit()
    log.info("demo workspace %s created: %s", workspace.id, counts)
    return DemoResult(True, DEMO_EMAIL, password, workspace.id, counts)


def connect_sandbox_account(workspace_id: int, user_id: int | None) -> SocialAccount:
    """Add the clearly labelled SANDBOX Instagram account (no OAuth: it never reaches Instagram)."""
    account = SocialAccount(
        workspace_id=workspace_id,
        platform="instagram",
        platform_user_id=f"sandbox-{uuid.uuid4().hex[:10]}",
        username=ACCOUNT_USERNAME,
        account_type=sandbox.ACCOUNT_TYPE,
        status="connected",
        status_reason="Sandbox: DMs are recorded, never sent to Instagram.",
        connected_by_user_id=user_id,
    )
    db.session.add(account)
    db.session.flush()
    # A placeholder token far in the future: collection wants one, and the refresh job never finds it due.
    account.store_tokens(access_token="sandbox-no-real-token", expires_at=utcnow() + timedelta(days=3650))
    db.session.commit()
    return account


def _run_job(func: str, *args, kind: str, queue: str, workspace_id: int, user_id: int) -> dict:
    # Recorded like any job (it shows on the Jobs page) but run here, whether or not Redis is configured.
    run = jobs.record(func, *args, kind=kind, queue=queue, workspace_id=workspace_id, requested_by=user_id)
    return jobs.execute(run.id) or {}


def _activity(workspace_id: int, account_id: int, user_id: int, now: datetime) -> dict[str, int]:
    collected = _run_job(
        collection.JOB_FUNC,
        account_id,
        kind=collection.JOB_KIND,
        queue=jobs.QUEUE_BULK,
        workspace_id=workspace_id,
        user_id=user_id,
    )
    account = db.session.get(SocialAccount, account_id)
    client = sandbox.SandboxClient.for_account(account, production=False, now=now)
    # Direct messages arrive by webhook in real life; the sandbox hands them to the same ingest.
    messages = [
        ingest.Incoming(
            platform_id=m.id,
            kind="message",
            occurred_at=m.at,
            author_platform_id=m.person.id,
            author_username=m.person.username,
            text=m.text,
            raw={"sandbox": True},
        )
        for m in client._world.messages
    ]
    stored = ingest.store(account, messages, source="webhook")
    db.session.commit()
    _run_job(
        SCORE_JOB,
        workspace_id,
        True,
        kind="rescore",
        queue=jobs.QUEUE_DEFAULT,
        workspace_id=workspace_id,
        user_id=user_id,
    )
    return {"interactions": int(collected.get("new_interactions", 0)) + stored.new}


def _history(workspace_id: int, account_id: int, targets: list[Target], user_id: int, now: datetime) -> list[int]:
    """DMs sent in past days (private replies to each person's first comment), some with a reply."""
    rng = random.Random(workspace_id)
    zone = ZoneInfo(TIME_ZONE)
    replied_ids, today_sent = [], 0
    for target in targets:
        comment = db.session.scalar(
            select(Interaction)
            .where(Interaction.target_id == target.id, Interaction.kind == "comment")
            .order_by(Interaction.occurred_at)
            .limit(1)
        )
        if comment is None:
            continue
        sent_at = min(comment.occurred_at + timedelta(minutes=rng.randint(20, 300)), now - timedelta(minutes=5))
        replied = rng.random() < 0.55
        dm = DirectMessage(
            workspace_id=workspace_id,
            social_account_id=account_id,
            target_id=target.id,
            kind="private_reply",
            comment_platform_id=comment.platform_id,
            status=DmStatus.SENT.value,
            text=f"Hi @{target.username}! Thanks for your comment, here is our shop: https://maison-lumiere.example",
            platform_message_id=f"sandbox-{uuid.uuid4().hex[:16]}",
            quota_day=sent_at.astimezone(zone).date(),
            created_by_user_id=user_id,
            approved_by_user_id=user_id,
            approved_via="console",
            approved_at=sent_at - timedelta(minutes=2),
            send_started_at=sent_at,
            sent_at=sent_at,
            replied_at=min(sent_at + timedelta(hours=rng.randint(1, 30)), now) if replied else None,
            created_at=sent_at - timedelta(minutes=30),
        )
        db.session.add(dm)
        db.session.flush()
        for before, after, at in (
            (None, "draft", dm.created_at),
            ("draft", "approved", dm.approved_at),
            ("approved", "sending", sent_at),
            ("sending", "sent", sent_at),
        ):
            db.session.add(
                DmEvent(
                    dm_id=dm.id,
                    from_status=before,
                    to_status=after,
                    actor_user_id=user_id,
                    actor_label="demo",
                    door="console",
                    created_at=at,
                    reason="sandbox: recorded, not sent" if after == "sent" else None,
                )
            )
        if dm.quota_day == now.astimezone(zone).date():
            today_sent += 1
        if replied:
            replied_ids.append(target.id)
    if today_sent:
        db.session.add(QuotaUsage(social_account_id=account_id, day=now.astimezone(zone).date(), used=today_sent))
    db.session.commit()
    return replied_ids


def _drafts(targets: list[Target], actor: Actor) -> int:
    made = 0
    for target in targets:
        # Each person gets the template of the language they write in, as a hot person would.
        template = dm_settings.template_for(db.session.get(Workspace, target.workspace_id), target)
        try:
            dms.create_draft(target.id, actor=actor, template_id=template.id if template else None)
        except Conflict:  # no open window for this person (Ineligible): the queue shows only what can go
            db.session.rollback()
            continue
        made += 1
    return made


def _outreach_and_leads(
    workspace_id: int, account_id: int, actor: Actor, teammate_id: int, now: datetime
) -> dict[str, int]:
    # The workspace started with an English and a French template; the demo words them for its shop.
    chosen = read_settings(db.session.get(Workspace, workspace_id).settings)
    starters = {"en": chosen.default_template_id, **chosen.language_templates}
    for language, (name, body) in zip(("en", "fr"), TEMPLATES, strict=True):
        templates.update(starters[language], actor=actor, name=name, body=body)
    people = list(
        db.session.scalars(
            select(Target)
            .where(Target.workspace_id == workspace_id, Target.opted_out_at.is_(None))
            .order_by(Target.score.desc(), Target.id)
        )
    )
    hot = [t for t in people if t.is_hot]
    warm = [t for t in people if not t.is_hot and t.score > 0]
    contacted = warm[: len(LEAD_PLAN) + 4]
    _history(workspace_id, account_id, contacted, actor.user_id, now)
    drafts = _drafts(hot[:10], actor)

    made = 0
    rng = random.Random(workspace_id + 1)
    candidates = hot[:4] + contacted
    for target, status in zip(candidates, LEAD_PLAN, strict=False):
        lead = leads.create(workspace_id, target.id, actor=actor)
        for step in ["lost"] if status == "lost" else PATH[: PATH.index(status) + 1] if status != "new" else []:
            leads.change_status(lead.id, step, actor=actor)
        leads.update(
            lead.id,
            actor=actor,
            owner=rng.choice([actor.user_id, teammate_id]),
            tags=rng.sample(TAGS, rng.randint(0, 2)),
            value=rng.choice([None, 45, 90, 120, 240, 600]) if status in ("qualified", "won") else None,
        )
        made += 1
    return {"drafts": drafts, "leads": made, "hot": len(hot), "targets": len(people)}
