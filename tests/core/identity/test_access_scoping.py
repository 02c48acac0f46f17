"""Read models and lookups take the actor: another workspace's ids are NotFound, exactly like missing
ones, and an id naming a row of another of the actor's own workspaces cannot reach across from a
page or chat about one workspace."""

from __future__ import annotations

import pytest

from core.db import db
from core.errors import Invalid, NotFound
from core.models import ChatUserLink, DirectMessage, DmTemplate, Door, Lead, SocialAccount, Target, TelegramChat, User
from core.services.accounts import connected as social_accounts
from core.services.chat import cards, installations, links
from core.services.collection import cycle as collection
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from core.services.leads import timeline as lead_timeline
from core.services.outreach import dms, quota, sequences, templates
from core.services.targets import read as targets
from tests.factories import make_account, make_interaction, make_target

SYSTEM = Actor.system("test")


@pytest.fixture
def two(app, factory):
    """Ana owns workspaces A and A2; Bob owns B. Each has a target, a lead, a template, a chat link."""
    ana, bob = factory.user(name="Ana"), factory.user(name="Bob")
    spaces = {"A": factory.workspace(ana)["id"], "A2": factory.workspace(ana)["id"], "B": factory.workspace(bob)["id"]}
    rows: dict = {}
    with app.app_context():
        for key, ws in spaces.items():
            account = make_account(ws)
            target = make_target(account, username=f"fan_{key}")
            make_interaction(target, text="how much?")
            template = DmTemplate(workspace_id=ws, name="Hi", body="Hi {{username}}")
            chat = TelegramChat(workspace_id=ws, chat_id=9000 + len(rows), title=key)
            owner_id = (ana if key != "B" else bob).user["id"]
            link = ChatUserLink(
                workspace_id=ws, provider="slack", external_id=f"U{key}", user_id=owner_id, linked_via="console"
            )
            db.session.add_all([template, chat, link])
            db.session.flush()
            lead = leads.create(ws, target.id, actor=SYSTEM)
            rows[key] = {
                "ws": ws,
                "target": target.id,
                "lead": lead.id,
                "template": template.id,
                "chat": chat.id,
                "link": link.id,
            }
        db.session.commit()
        actors = {
            "ana": Actor.for_user(db.session.get(User, ana.user["id"]), Door.CONSOLE),
            "bob": Actor.for_user(db.session.get(User, bob.user["id"]), Door.CONSOLE),
        }
    return rows, actors


def test_read_models_refuse_another_workspace(app, two):
    rows, actors = two
    ana, a, b = actors["ana"], rows["A"], rows["B"]
    with app.app_context():
        assert [g.account.workspace_id for g in quota.gauges(a["ws"], actor=ana)] == [a["ws"]]
        with pytest.raises(NotFound):
            quota.gauges(b["ws"], actor=ana)
        assert lead_timeline.dm_history(a["lead"], actor=ana) == []
        with pytest.raises(NotFound):
            lead_timeline.dm_history(b["lead"], actor=ana)
        assert targets.detail(a["target"], actor=ana).interactions
        with pytest.raises(NotFound):
            targets.detail(b["target"], actor=ana)
        assert cards.build(a["target"], actor=ana).username == "fan_A"
        with pytest.raises(NotFound):
            cards.build(b["target"], actor=ana)


def test_an_id_of_another_own_workspace_does_not_reach_across(app, two):
    rows, actors = two
    ana, a, a2 = actors["ana"], rows["A"], rows["A2"]
    with app.app_context():
        for lookup in (
            lambda: targets.detail(a2["target"], actor=ana, workspace_id=a["ws"]),
            lambda: cards.build(a2["target"], actor=ana, workspace_id=a["ws"]),
            lambda: leads.get(a2["lead"], actor=ana, workspace_id=a["ws"]),
            lambda: lead_timeline.dm_history(a2["lead"], actor=ana, workspace_id=a["ws"]),
            lambda: links.unlink(a["ws"], a2["link"], actor=ana),
            lambda: links.unlink_telegram_chat(a["ws"], a2["chat"], actor=ana),
            lambda: installations.set_telegram_alerts(a["ws"], a2["chat"], {}, actor=ana),
        ):
            with pytest.raises(NotFound):
                lookup()
        # A template of the other workspace is unknown here, for a DM as for a sequence step.
        with pytest.raises(Invalid) as refused:
            dms.create_draft(a["target"], actor=ana, template_id=a2["template"])
        assert "templateId" in refused.value.fields
        with pytest.raises(Invalid) as refused:
            sequences.create(a["ws"], actor=ana, name="Follow", steps=[{"template_id": a2["template"]}])
        assert "steps.0.templateId" in refused.value.fields  # 0-based, named as in the API body
        # Its own rows are found from its own workspace.
        assert leads.get(a["lead"], actor=ana, workspace_id=a["ws"]).id == a["lead"]
        links.unlink(a["ws"], a["link"], actor=ana)


def test_writes_given_the_page_workspace_refuse_a_row_of_another_own_workspace(app, two):
    # The console passes the URL's workspace to the write itself instead of reloading the row first.
    rows, actors = two
    ana, a, a2 = actors["ana"], rows["A"], rows["A2"]
    with app.app_context():
        account_a2 = db.session.get(Target, a2["target"]).social_account_id
        draft = dms.create_draft(a2["target"], actor=ana, text="Hello")
        for write in (
            lambda: leads.change_status(a2["lead"], "contacted", actor=ana, workspace_id=a["ws"]),
            lambda: leads.update(a2["lead"], actor=ana, notes="x", workspace_id=a["ws"]),
            lambda: dms.approve(draft.id, actor=ana, workspace_id=a["ws"]),
            lambda: dms.skip(draft.id, actor=ana, workspace_id=a["ws"]),
            lambda: social_accounts.update(account_a2, actor=ana, paused=True, workspace_id=a["ws"]),
            lambda: social_accounts.disconnect(account_a2, actor=ana, workspace_id=a["ws"]),
            lambda: collection.request_collection(account_a2, actor=ana, workspace_id=a["ws"]),
            lambda: templates.update(a2["template"], actor=ana, name="Renamed", workspace_id=a["ws"]),
            lambda: templates.delete(a2["template"], actor=ana, workspace_id=a["ws"]),
        ):
            with pytest.raises(NotFound):
                write()
            db.session.rollback()
        db.session.expire_all()
        assert db.session.get(Lead, a2["lead"]).status == "new"
        assert db.session.get(DirectMessage, draft.id).status == "draft"
        assert db.session.get(SocialAccount, account_a2).paused is False
        assert db.session.get(DmTemplate, a2["template"]).name == "Hi"
        # From its own workspace the same write goes through.
        leads.change_status(a2["lead"], "contacted", actor=ana, workspace_id=a2["ws"])
        assert db.session.get(Lead, a2["lead"]).status == "contacted"
