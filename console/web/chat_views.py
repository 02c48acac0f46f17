"""Settings > Chat: add Slack and pick its channel, link Telegram chats, link chat users to members."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Invalid
from core.models import ALERT_KINDS
from core.platforms import slack as web
from core.services.chat import installations, links
from core.services.workspaces import lifecycle as workspaces

ALERT_LABELS = {
    "hot": _l("Hot targets"),
    "dm_replied": _l("Replies to DMs"),
    "needs_reconnect": _l("Accounts to reconnect"),
    "digest": _l("Daily digest (09:00)"),
    "automation": _l("Automations that ask for it (each DM they send or draft)"),
}
# A refusal (Conflict, Forbidden, Invalid, Unavailable) is flashed by console.errors; NotFound answers the
# 404 page there, so a foreign workspace or chat is never confirmed.


def _back(workspace_id: int):
    return redirect(url_for("web.chat_settings", workspace_id=workspace_id), 303)


def _slack_channels(installation) -> list[dict]:
    """Channels the bot can post to; empty when Slack cannot be asked (the form then takes an id)."""
    if installation is None or not installation.is_active:
        return []
    try:
        answer = web.call(
            web.for_installation(installation),
            "conversations_list",
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=200,
        )
    except web.SlackFailure:
        return []
    return [{"id": c["id"], "name": c.get("name", c["id"])} for c in answer.get("channels", [])]


def _page(workspace_id: int, *, link_code=None, status: int = 200, errors: dict | None = None):
    workspace, role = load_workspace(workspace_id)
    actor = console_actor()
    installation = installations.for_workspace(workspace_id, actor=actor)
    bot_name = current_app.config.get("TELEGRAM_BOT_USERNAME") or ""
    return render_template(
        "chat/settings.html",
        workspace=workspace,
        role=role,
        installation=installation,
        channels=_slack_channels(installation) if role.value in ("owner", "admin") else [],
        chats=links.telegram_chats(workspace_id, actor=actor),
        user_links=links.user_links(workspace_id, actor=actor),
        members=workspaces.members_page(workspace_id, actor=actor, limit=200).items,
        alert_kinds=ALERT_KINDS,
        alert_labels=ALERT_LABELS,
        link_code=link_code,
        bot_name=bot_name,
        slack_ready=bool(current_app.config.get("SLACK_CLIENT_ID")),
        telegram_ready=bool(current_app.config.get("TELEGRAM_BOT_TOKEN")),
        can_manage=role.value in ("owner", "admin"),
        errors=errors or {},
    ), status


@bp.get("/w/<int:workspace_id>/chat")
@login_required
def chat_settings(workspace_id: int):
    return _page(workspace_id)


@bp.post("/w/<int:workspace_id>/chat/slack/channel")
@login_required
def chat_slack_channel(workspace_id: int):
    channel_id, _, name = request.form.get("channel", "").partition("|")
    installations.set_channel(workspace_id, channel_id, name, actor=console_actor())
    flash(gettext("Alerts channel saved."), "success")
    return _back(workspace_id)


@bp.post("/w/<int:workspace_id>/chat/slack/alerts")
@login_required
def chat_slack_alerts(workspace_id: int):
    values = {kind: request.form.get(kind) == "on" for kind in ALERT_KINDS}
    installations.set_slack_alerts(workspace_id, values, actor=console_actor(), locale=request.form.get("locale"))
    flash(gettext("Slack alerts saved."), "success")
    return _back(workspace_id)


@bp.post("/w/<int:workspace_id>/chat/slack/remove")
@login_required
def chat_slack_remove(workspace_id: int):
    installations.uninstall(workspace_id, actor=console_actor())
    flash(gettext("Slack removed from this workspace."), "success")
    return _back(workspace_id)


@bp.post("/w/<int:workspace_id>/chat/telegram/code")
@login_required
def chat_telegram_code(workspace_id: int):
    issued = links.issue_code(workspace_id, actor=console_actor())
    # Shown once, in this answer only (never flashed into the session cookie).
    return _page(workspace_id, link_code=issued)


@bp.post("/w/<int:workspace_id>/chat/telegram/<int:chat_row_id>/alerts")
@login_required
def chat_telegram_alerts(workspace_id: int, chat_row_id: int):
    values = {kind: request.form.get(kind) == "on" for kind in ALERT_KINDS}
    installations.set_telegram_alerts(
        workspace_id, chat_row_id, values, actor=console_actor(), locale=request.form.get("locale")
    )
    flash(gettext("Telegram alerts saved."), "success")
    return _back(workspace_id)


@bp.post("/w/<int:workspace_id>/chat/telegram/<int:chat_row_id>/remove")
@login_required
def chat_telegram_remove(workspace_id: int, chat_row_id: int):
    links.unlink_telegram_chat(workspace_id, chat_row_id, actor=console_actor())
    flash(gettext("Telegram chat unlinked."), "success")
    return _back(workspace_id)


@bp.post("/w/<int:workspace_id>/chat/users")
@login_required
def chat_link_user(workspace_id: int):
    try:
        links.link_member(
            workspace_id,
            request.form.get("provider", "slack"),
            request.form.get("external_id", ""),
            request.form.get("user_id", type=int) or 0,
            actor=console_actor(),
        )
    except Invalid as exc:
        return _page(workspace_id, status=422, errors=exc.fields or {"external_id": exc.message})
    flash(gettext("Chat user linked."), "success")
    return _back(workspace_id)


@bp.post("/w/<int:workspace_id>/chat/users/<int:link_id>/remove")
@login_required
def chat_unlink_user(workspace_id: int, link_id: int):
    links.unlink(workspace_id, link_id, actor=console_actor())
    flash(gettext("Chat user unlinked."), "success")
    return _back(workspace_id)
