"""`flask vistaflow demo` and the sandbox adapter: realistic data, idempotent, recorded sends, no production."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from core.db import db
from core.demo import seed as demo
from core.demo import world as demo_world
from core.errors import Forbidden
from core.models import AuditEntry, DirectMessage, Door, Interaction, JobRun, Lead, SocialAccount, Target, Workspace
from core.platforms.sandbox import SandboxClient, SandboxRefused
from core.services.accounts import connected as social_accounts
from core.services.collection import cycle as collection
from core.services.identity import auth
from core.services.identity.actors import Actor
from core.services.outreach import dms


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def made(app_ctx):
    result = demo.create_demo()
    return result


def test_demo_creates_a_full_workspace(made):
    ws = made.workspace_id
    assert made.created and made.email == demo.DEMO_EMAIL
    [account] = db.session.scalars(select(SocialAccount).where(SocialAccount.workspace_id == ws)).all()
    assert account.account_type == "SANDBOX" and account.status == "connected"

    texts = list(db.session.scalars(select(Interaction.text).where(Interaction.workspace_id == ws)))
    kinds = dict(
        db.session.execute(
            select(Interaction.kind, func.count()).where(Interaction.workspace_id == ws).group_by(Interaction.kind)
        ).all()
    )
    assert kinds["comment"] >= 300 and kinds["message"] >= 20 and kinds["mention"] >= 10 and kinds["reply"] >= 5
    # Buying questions in French and in English (which ones depends on the account's random seed).
    for language in ("fr", "en"):
        assert any(phrase in t for phrase in demo_world.INTENT[language] for t in texts), language
    spread = db.session.execute(
        select(func.min(Interaction.occurred_at), func.max(Interaction.occurred_at)).where(
            Interaction.workspace_id == ws
        )
    ).one()
    assert spread[1] - spread[0] > timedelta(days=20)

    assert _count(Target, Target.workspace_id == ws, Target.is_hot) >= 3
    assert _count(Target, Target.workspace_id == ws, Target.scored_at.is_not(None)) == _count(
        Target, Target.workspace_id == ws
    )
    assert _count(Target, Target.workspace_id == ws, Target.opted_out_at.is_not(None)) >= 1
    assert _count(DirectMessage, DirectMessage.workspace_id == ws, DirectMessage.status == "draft") >= 3
    assert _count(DirectMessage, DirectMessage.workspace_id == ws, DirectMessage.status == "sent") >= 10
    statuses = set(db.session.scalars(select(Lead.status).where(Lead.workspace_id == ws)))
    assert statuses == {"new", "contacted", "replied", "qualified", "won", "lost"}
    runs = dict(db.session.execute(select(JobRun.kind, JobRun.status).where(JobRun.workspace_id == ws)).all())
    assert runs == {"collect-account": "finished", "rescore": "finished"}
    # The printed credentials work.
    assert auth.authenticate(made.email, made.password, ip=None, door=Door.CONSOLE).email == demo.DEMO_EMAIL


def test_demo_twice_changes_nothing(made):
    before = [_count(model) for model in (Interaction, Target, DirectMessage, Lead, SocialAccount, JobRun)]
    again = demo.create_demo()
    assert not again.created
    assert (again.workspace_id, again.email, again.password) == (made.workspace_id, made.email, made.password)
    assert [_count(model) for model in (Interaction, Target, DirectMessage, Lead, SocialAccount, JobRun)] == before


def test_sandbox_records_an_approved_dm_instead_of_sending_it(made):
    owner = auth.find_user_by_email(demo.DEMO_EMAIL)
    actor = Actor.for_user(owner, Door.CONSOLE)
    draft = db.session.scalar(
        select(DirectMessage).where(DirectMessage.workspace_id == made.workspace_id, DirectMessage.status == "draft")
    )
    dms.approve(draft.id, actor=actor)  # no Redis: the send job runs now, in this process
    db.session.expire_all()
    sent = db.session.get(DirectMessage, draft.id)
    assert sent.status == "sent" and sent.platform_message_id.startswith("sandbox-")


def test_sandbox_collects_what_arrived_since_and_nothing_twice(made):
    account = db.session.scalar(select(SocialAccount).where(SocialAccount.workspace_id == made.workspace_id))
    before = _count(Interaction, Interaction.social_account_id == account.id)
    later = SandboxClient.for_account(account, production=False, now=account.created_at + timedelta(days=1))
    result = collection.collect_account(account.id, client=later)
    # A comment every 3 hours, plus what the day still had to bring when the demo was made.
    assert result.errors == [] and result.new_interactions >= 8
    assert _count(Interaction, Interaction.social_account_id == account.id) == before + result.new_interactions
    again = collection.collect_account(account.id, client=later)
    assert again.new_interactions == 0


def test_production_refuses_the_demo_and_the_sandbox(app, made):
    account = db.session.scalar(select(SocialAccount).where(SocialAccount.workspace_id == made.workspace_id))
    app.config["VISTAFLOW_ENV"] = "production"
    with pytest.raises(Forbidden, match="refused in production"):
        demo.create_demo()
    with pytest.raises(SandboxRefused, match="refused in production"):
        social_accounts.client_for(account)


def test_cli_prints_the_credentials_each_time(app, runner):
    first = runner.invoke(args=["vistaflow", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demo workspace created" in first.output and demo.DEMO_EMAIL in first.output
    with app.app_context():
        password = demo.demo_password()
    assert f"Password: {password}" in first.output
    second = runner.invoke(args=["vistaflow", "demo"])
    assert second.exit_code == 0 and "already exists" in second.output and f"Password: {password}" in second.output
    app.config["VISTAFLOW_ENV"] = "production"
    refused = runner.invoke(args=["vistaflow", "demo"])
    assert refused.exit_code != 0 and "refused in production" in refused.output


def test_an_interrupted_demo_is_made_again(made):
    # As if the first run had died before its end: no "demo.created" mark.
    db.session.execute(delete(AuditEntry).where(AuditEntry.action == demo.DONE))
    db.session.commit()
    again = demo.create_demo()
    assert again.created and again.workspace_id != made.workspace_id
    assert db.session.get(Workspace, made.workspace_id) is None
    assert _count(SocialAccount) == 1 and _count(Target, Target.workspace_id == made.workspace_id) == 0
    assert not demo.create_demo().created
