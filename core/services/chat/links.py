"""Who acts in a chat: Slack/Telegram users linked to members, Telegram chats linked by one-time codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.errors import Conflict, Invalid
from core.i18n import _
from core.models import ChatLinkCode, ChatProvider, ChatUserLink, Door, Membership, Role, TelegramChat, User
from core.security.tokens import digest
from core.services import audit
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.workspaces import status as workspace_status

CODE_TTL = timedelta(minutes=15)
DOORS = {ChatProvider.SLACK.value: Door.SLACK, ChatProvider.TELEGRAM.value: Door.TELEGRAM}


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


def issue_code(workspace_id: int, *, actor: Actor) -> IssuedCode:
    """A single-use code (15 minutes) that links a Telegram chat and its sender to the actor; shown once."""
    require_active(require_role(workspace_id, actor))
    if actor.user_id is None:
        raise Invalid(_("Only a person can link a chat."))
    # Telegram's start parameter allows 64 characters of [A-Za-z0-9_-]: token_urlsafe fits.
    code = secrets.token_urlsafe(18)
    expires_at = utcnow() + CODE_TTL
    db.session.add(
        ChatLinkCode(workspace_id=workspace_id, user_id=actor.user_id, code_hash=digest(code), expires_at=expires_at)
    )
    db.session.execute(delete(ChatLinkCode).where(ChatLinkCode.expires_at < utcnow() - timedelta(days=1)))
    audit.record(
        actor, "chat.link_code_issued", workspace_id=workspace_id, subject_type="workspace", subject_id=workspace_id
    )
    db.session.commit()
    return IssuedCode(code, expires_at)


@dataclass(frozen=True)
class Redeemed:
    workspace_id: int
    workspace_name: str
    user: User
    chat: TelegramChat


def redeem_code(code: str, *, chat_id: int, chat_title: str, chat_type: str, telegram_user_id: int) -> Redeemed:
    """Use a code once: link the chat to its workspace and the sender to its member; Invalid otherwise."""
    # One UPDATE decides, so two /start with the same code cannot both win.
    row = db.session.execute(
        update(ChatLinkCode)
        .where(
            ChatLinkCode.code_hash == digest((code or "").strip()),
            ChatLinkCode.used_at.is_(None),
            ChatLinkCode.expires_at > utcnow(),
        )
        .values(used_at=utcnow(), used_by=str(telegram_user_id))
        .returning(ChatLinkCode.workspace_id, ChatLinkCode.user_id)
    ).first()
    if row is None:
        db.session.rollback()
        raise Invalid(_("This link code is unknown, expired or already used; get a new one in VistaFlow."))
    workspace_id, user_id = row
    _refuse_if_linked_elsewhere(chat_id, workspace_id, telegram_user_id)
    db.session.commit()
    user = db.session.get(User, user_id)
    actor = Actor.for_user(user, Door.TELEGRAM)
    workspace = require_active(require_role(workspace_id, actor))
    chat = db.session.scalar(select(TelegramChat).where(TelegramChat.chat_id == chat_id))
    if chat is None:
        chat = TelegramChat(chat_id=chat_id, workspace_id=workspace_id)
        db.session.add(chat)
    chat.workspace_id = workspace_id
    chat.title = (chat_title or "")[:200]
    chat.chat_type = (chat_type or "private")[:16]
    chat.linked_by_user_id = user.id
    chat.disabled_at = None
    chat.disabled_reason = None
    _upsert_link(workspace_id, ChatProvider.TELEGRAM.value, str(telegram_user_id), user.id, "code")
    audit.record(
        actor,
        "chat.telegram_linked",
        workspace_id=workspace_id,
        subject_type="telegram_chat",
        subject_id=chat_id,
        details={"title": chat.title},
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Two codes sent in a new chat at the same moment: the other one linked it first.
        db.session.rollback()
        raise Conflict(_("This chat was linked by someone else at the same moment; send your code again.")) from None
    return Redeemed(workspace_id, workspace.name, user, chat)


def _refuse_if_linked_elsewhere(chat_id: int, workspace_id: int, telegram_user_id: int) -> None:
    """A chat working for one workspace is not moved by a code of another: unlink it there first."""
    chat = db.session.scalar(select(TelegramChat).where(TelegramChat.chat_id == chat_id))
    if chat is None or chat.workspace_id == workspace_id or chat.disabled_at is not None:
        return
    # The code stays unused (its owner may use it in another chat), and the chat's own
    # workspace learns that someone tried to take the chat away.
    db.session.rollback()
    audit.record(
        Actor.system("telegram"),
        "chat.telegram_link_refused",
        workspace_id=chat.workspace_id,
        subject_type="telegram_chat",
        subject_id=chat_id,
        details={"telegram_user_id": str(telegram_user_id), "other_workspace_id": workspace_id},
    )
    db.session.commit()
    raise Conflict(
        _(
            "This chat is already linked to another VistaFlow workspace; "
            "unlink it there first (Settings > Chat), then send the code again."
        )
    )


def _upsert_link(workspace_id: int, provider: str, external_id: str, user_id: int, via: str) -> ChatUserLink:
    link = db.session.scalar(
        select(ChatUserLink).where(
            ChatUserLink.workspace_id == workspace_id,
            ChatUserLink.provider == provider,
            ChatUserLink.external_id == external_id,
        )
    )
    if link is None:
        link = ChatUserLink(workspace_id=workspace_id, provider=provider, external_id=external_id)
        db.session.add(link)
    link.user_id = user_id
    link.linked_via = via
    return link


def actor_for(workspace_id: int, provider: str, external_id: str) -> Actor | None:
    """The member a chat user is linked to in the workspace, as an actor of that door; None if unlinked.

    Forbidden (suspended) for a suspended workspace: nothing is done from chat for it.
    """
    workspace_status.require_serving(workspace_id)
    user = db.session.scalar(
        select(User)
        .join(ChatUserLink, ChatUserLink.user_id == User.id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.workspace_id == workspace_id))
        .where(
            ChatUserLink.workspace_id == workspace_id,
            ChatUserLink.provider == provider,
            ChatUserLink.external_id == external_id,
        )
    )
    if user is None or user.is_suspended:
        return None
    return Actor.for_user(user, DOORS[provider])


def link_by_verified_email(workspace_id: int, provider: str, external_id: str, email: str) -> Actor | None:
    """Link a chat user to the member with this (chat-verified) email; None if no member has it."""
    user = db.session.scalar(
        select(User)
        .join(Membership, (Membership.user_id == User.id) & (Membership.workspace_id == workspace_id))
        .where(func.lower(User.email) == (email or "").strip().lower())
    )
    if user is None or user.is_suspended:
        return None
    _upsert_link(workspace_id, provider, external_id, user.id, "email")
    audit.record(
        Actor.for_user(user, DOORS[provider]),
        "chat.user_linked",
        workspace_id=workspace_id,
        subject_type="user",
        subject_id=user.id,
        details={"provider": provider, "via": "email"},
    )
    db.session.commit()
    return Actor.for_user(user, DOORS[provider])


def link_member(workspace_id: int, provider: str, external_id: str, user_id: int, *, actor: Actor) -> ChatUserLink:
    """Link a chat user id to a member explicitly (owner/admin, from the console)."""
    require_active(require_role(workspace_id, actor, Role.ADMIN))
    if provider not in DOORS:
        raise Invalid(_("Unknown chat."), fields={"provider": _("slack or telegram")})
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 64 or not external_id.replace("-", "").isalnum():
        raise Invalid(
            _("The chat user id is not valid."), fields={"external_id": _("Letters and digits, e.g. U024BE7LH.")}
        )
    member = db.session.scalar(
        select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
    )
    if member is None:
        raise Invalid(_("Choose a member of the workspace."), fields={"user_id": _("Not a member of this workspace.")})
    link = _upsert_link(workspace_id, provider, external_id, user_id, "console")
    audit.record(
        actor,
        "chat.user_linked",
        workspace_id=workspace_id,
        subject_type="user",
        subject_id=user_id,
        details={"provider": provider, "via": "console"},
    )
    db.session.commit()
    return link


def unlink(workspace_id: int, link_id: int, *, actor: Actor) -> None:
    """Remove a chat user link (owner/admin)."""
    require_role(workspace_id, actor, Role.ADMIN)
    link = get_scoped(ChatUserLink, link_id, actor, Role.ADMIN, what="Link", workspace_id=workspace_id)
    db.session.delete(link)
    audit.record(
        actor,
        "chat.user_unlinked",
        workspace_id=workspace_id,
        subject_type="user",
        subject_id=link.user_id,
        details={"provider": link.provider},
    )
    db.session.commit()


def user_links(workspace_id: int, *, actor: Actor) -> list[tuple[ChatUserLink, User]]:
    """Every chat user link of the workspace with its member."""
    require_role(workspace_id, actor)
    rows = db.session.execute(
        select(ChatUserLink, User)
        .join(User, User.id == ChatUserLink.user_id)
        .where(ChatUserLink.workspace_id == workspace_id)
        .order_by(ChatUserLink.provider, ChatUserLink.id)
    )
    return [(link, user) for link, user in rows]


def telegram_chats(workspace_id: int, *, actor: Actor) -> list[TelegramChat]:
    """The Telegram chats linked to the workspace."""
    require_role(workspace_id, actor)
    return list(
        db.session.scalars(
            select(TelegramChat).where(TelegramChat.workspace_id == workspace_id).order_by(TelegramChat.id)
        )
    )


def telegram_chat(chat_id: int) -> TelegramChat | None:
    """The active link of a Telegram chat (for the bot door to know the workspace)."""
    chat = db.session.scalar(select(TelegramChat).where(TelegramChat.chat_id == chat_id))
    return chat if chat is not None and chat.is_active else None


def open_telegram_chat(chat_id: int) -> TelegramChat | None:
    """The chat's link for serving a command; Forbidden (suspended) when its workspace is suspended.

    A suspended workspace does nothing from chat, not even help: the person is told why instead.
    """
    chat = telegram_chat(chat_id)
    if chat is not None:
        workspace_status.require_serving(chat.workspace_id)
    return chat


def unlink_telegram_chat(workspace_id: int, chat_row_id: int, *, actor: Actor) -> None:
    """Forget a Telegram chat (owner/admin); the bot stops posting there."""
    require_role(workspace_id, actor, Role.ADMIN)
    chat = get_scoped(TelegramChat, chat_row_id, actor, Role.ADMIN, what="Chat", workspace_id=workspace_id)
    db.session.delete(chat)
    audit.record(
        actor,
        "chat.telegram_unlinked",
        workspace_id=workspace_id,
        subject_type="telegram_chat",
        subject_id=chat.chat_id,
    )
    db.session.commit()


def disable_telegram_chat(chat_id: int, reason: str) -> bool:
    """The bot was removed or blocked: stop posting to the chat instead of failing forever."""
    result = db.session.execute(
        update(TelegramChat)
        .where(TelegramChat.chat_id == chat_id, TelegramChat.disabled_at.is_(None))
        .values(disabled_at=utcnow(), disabled_reason=reason[:500])
    )
    db.session.commit()
    return bool(result.rowcount)
