"""Read models and lookups take the actor: another workspace's ids are NotFound, exactly like missing
ones, and an id naming a row of another of the actor's own workspaces cannot reach across from a
page or chat about one workspace."""

from __future__ import annotations

import pytest

from core.db import db
from core.errors import Invalid, NotFound
from core.models import ChatUserLink, DmTemplate, Door, TelegramChat, User
from core.services import lead_timeline, leads, targets
from core.services.actors import Actor
from core.services.chat import cards, installations, links
from core.services.outreach import dms, quota, sequences
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
        assert "steps.1.template_id" in refused.value.fields
        # Its own rows are found from its own workspace.
        assert leads.get(a["lead"], actor=ana, workspace_id=a["ws"]).id == a["lead"]
        links.unlink(a["ws"], a["link"], actor=ana)
