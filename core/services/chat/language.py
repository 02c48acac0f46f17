"""Which language a chat reads: the chat's own setting, else the person's in a direct (private) chat,
else the workspace's default."""

from __future__ import annotations

from sqlalchemy import select

from core import i18n
from core.db import db
from core.models import ChatProvider, ChatUserLink, SlackInstallation, TelegramChat, User, Workspace
from core.services.workspaces import language as workspace_language


def _person_locale(workspace_id: int, provider: str, external_id: str) -> str | None:
    user = db.session.scalar(
        select(User)
        .join(ChatUserLink, ChatUserLink.user_id == User.id)
        .where(
            ChatUserLink.workspace_id == workspace_id,
            ChatUserLink.provider == provider,
            ChatUserLink.external_id == external_id,
        )
    )
    return i18n.normalise(user.locale) if user is not None else None


def _workspace_locale(workspace_id: int) -> str:
    workspace = db.session.get(Workspace, workspace_id)
    return workspace_language.default_locale(workspace) if workspace is not None else i18n.DEFAULT


def for_chat(provider: str, chat_id: str | int, workspace_id: int) -> str:
    """The language of what is posted to this Slack channel or Telegram chat."""
    if provider == ChatProvider.TELEGRAM.value:
        chat = db.session.scalar(select(TelegramChat).where(TelegramChat.chat_id == int(chat_id)))
        if chat is not None and i18n.normalise(chat.locale):
            return i18n.normalise(chat.locale)
        if chat is not None and chat.chat_type == "private" and chat.linked_by_user_id is not None:
            # A private chat is the person who linked it: their language.
            person = db.session.get(User, chat.linked_by_user_id)
            if person is not None and i18n.normalise(person.locale):
                return i18n.normalise(person.locale)
        return _workspace_locale(workspace_id)
    installation = db.session.scalar(select(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id))
    if installation is not None and i18n.normalise(installation.locale):
        return i18n.normalise(installation.locale)
    return _workspace_locale(workspace_id)


def for_person(provider: str, external_id: str, workspace_id: int) -> str | None:
    """The language a linked chat user chose in VistaFlow (their private answers), or None."""
    return _person_locale(workspace_id, provider, external_id)
