"""/telegram/webhook: secret header, duplicate updates, one-time link codes, commands, removed bot."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.models import AuditEntry, ChatUserLink, JobRun, Lead, TelegramChat
from core.services.identity.actors import Actor
from core.services.leads import changes as leads
from tests.bot.helpers import link_telegram, telegram_update, tg_message
from tests.factories import make_account, make_target

CHAT = 555001
SYSTEM = Actor.system("test")


def test_secret_header_is_required(app, client, telegram_emulator):
    update = tg_message(CHAT, 1, "/help")
    assert telegram_update(client, update, secret="wrong").status_code == 401
    assert client.post("/telegram/webhook", json=update).status_code == 401
    assert telegram_emulator.params("sendMessage") == []
    assert telegram_update(client, update).status_code == 200
    assert "VistaFlow commands" in telegram_emulator.params("sendMessage")[-1]["text"]


def test_duplicate_update_is_handled_once(app, client, telegram_emulator):
    update = tg_message(CHAT, 1, "/help")
    assert telegram_update(client, update).status_code == 200
    assert telegram_update(client, update).status_code == 200
    assert len(telegram_emulator.params("sendMessage")) == 1
    with app.app_context():
        assert len(db.session.scalars(select(JobRun).where(JobRun.kind == "telegram.update")).all()) == 1


def test_link_code_links_chat_and_user_once(app, client, console, factory, telegram_emulator):
    owner = factory.user(name="Tara")
    ws = factory.workspace(owner, name="Shop")["id"]
    code = link_telegram(client, console, telegram_emulator, owner, ws, CHAT, 91)
    assert "Linked to “Shop” as Tara" in telegram_emulator.params("sendMessage")[-1]["text"]
    assert code not in client.get(f"/w/{ws}/chat").get_data(as_text=True)  # shown once only
    telegram_update(client, tg_message(CHAT + 1, 92, f"/start {code}"))
    assert "already used" in telegram_emulator.params("sendMessage")[-1]["text"]
    with app.app_context():
        chat = db.session.scalar(select(TelegramChat))
        assert chat.chat_id == CHAT and chat.workspace_id == ws
        link = db.session.scalar(select(ChatUserLink))
        assert (link.external_id, link.user_id) == ("91", owner.user["id"])
    telegram_update(client, tg_message(CHAT, 91, "/quota"))
    assert "No connected accounts" in telegram_emulator.params("sendMessage")[-1]["text"]
    telegram_update(client, tg_message(CHAT, 93, "/hot"))  # someone in the chat who is not linked
    assert "not linked" in telegram_emulator.params("sendMessage")[-1]["text"]


def test_chat_that_removed_the_bot_is_disabled(app, client, console, factory, telegram_emulator):
    owner = factory.user()
    ws = factory.workspace(owner)["id"]
    link_telegram(client, console, telegram_emulator, owner, ws, CHAT, 91)
    from core.models import ChatMessage
    from worker.jobs.chat import post_message

    with app.app_context():
        message = ChatMessage(
            workspace_id=ws,
            provider="telegram",
            chat_id=str(CHAT),
            kind="needs_reconnect",
            event_key="e-1",
            data={"platform": "instagram", "username": "shop", "reason": "190"},
        )
        db.session.add(message)
        db.session.commit()
        telegram_emulator.blocked_chats.add(CHAT)
        result = post_message(message.id)
        assert result["posted"] is False and result["final"] is True
        assert db.session.scalar(select(TelegramChat)).disabled_at is not None
        assert post_message(message.id)["posted"] is False  # never retried forever


def test_finding_2_a_code_of_another_workspace_does_not_move_a_linked_chat(
    app, client, console, factory, telegram_emulator
):
    owner = factory.user(name="Tara")
    shop = factory.workspace(owner, name="Shop")["id"]
    link_telegram(client, console, telegram_emulator, owner, shop, CHAT, 91)
    intruder = factory.user(name="Ivan")
    other = factory.workspace(intruder, name="Other")["id"]
    _switch(console, intruder.email)
    code = link_telegram(client, console, telegram_emulator, intruder, other, CHAT, 92)  # same group chat
    assert "already linked to another VistaFlow workspace" in telegram_emulator.params("sendMessage")[-1]["text"]
    with app.app_context():
        chat = db.session.scalar(select(TelegramChat).where(TelegramChat.chat_id == CHAT))
        assert chat.workspace_id == shop and chat.linked_by_user_id == owner.user["id"]
        assert db.session.scalar(select(ChatUserLink).where(ChatUserLink.workspace_id == other)) is None
        refused = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "chat.telegram_link_refused"))
        assert refused.workspace_id == shop and refused.details["other_workspace_id"] == other
    # The refused code was not spent: it still links a chat of its own.
    telegram_update(client, tg_message(CHAT + 7, 92, f"/start {code}"))
    assert "Linked to “Other” as Ivan" in telegram_emulator.params("sendMessage")[-1]["text"]
    # Once the chat is unlinked in its workspace, a new code of the other workspace may take it.
    with app.app_context():
        chat = db.session.scalar(select(TelegramChat).where(TelegramChat.chat_id == CHAT))
        chat_row = chat.id
    _switch(console, owner.email)
    unlinked = console.post_form(f"/w/{shop}/chat", {}, action=f"/w/{shop}/chat/telegram/{chat_row}/remove")
    assert unlinked.status_code == 303, unlinked.status_code
    _switch(console, intruder.email)
    link_telegram(client, console, telegram_emulator, intruder, other, CHAT, 92)
    assert "Linked to “Other”" in telegram_emulator.params("sendMessage")[-1]["text"]


def _switch(console, email: str) -> None:
    console.post_form("/account", {}, action="/logout")
    console.login(email)


def test_finding_5_a_lead_command_reaches_only_the_chats_workspace(app, client, console, factory, telegram_emulator):
    owner = factory.user(name="Tara")
    shop = factory.workspace(owner, name="Shop")["id"]
    studio = factory.workspace(owner, name="Studio")["id"]  # Tara works in both
    link_telegram(client, console, telegram_emulator, owner, shop, CHAT, 91)
    with app.app_context():
        elsewhere = leads.create(studio, make_target(make_account(studio), username="ana").id, actor=SYSTEM).id
        here = leads.create(shop, make_target(make_account(shop), username="bo").id, actor=SYSTEM).id
    telegram_update(client, tg_message(CHAT, 91, f"/lead {elsewhere} won"))
    assert "not found" in telegram_emulator.params("sendMessage")[-1]["text"].lower()
    telegram_update(client, tg_message(CHAT, 91, f"/lead {here} contacted"))
    assert f"Lead #{here} is now" in telegram_emulator.params("sendMessage")[-1]["text"]
    with app.app_context():
        assert db.session.get(Lead, elsewhere).status == "new"
        assert db.session.get(Lead, here).status == "contacted"
