"""Slack installations (OAuth v2, one Slack team per workspace) and each destination's alert switches."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select, update

from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound, VistaFlowError
from core.i18n import _
from core.models import ALERT_KINDS, Role, SlackInstallation, TelegramChat
from core.platforms import slack
from core.services import audit
from core.services.accounts import oauth_states
from core.services.accounts.connect import ConnectFailed, actor_for
from core.services.accounts.oauth_states import ConnectIntent
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.workspaces import status as workspace_status
from core.validation import clean_locale

STATE_PLATFORM = "slack"


def start_install(workspace_id: int, *, actor: Actor) -> oauth_states.IssuedState:
    """Issue the single-use OAuth state for "Add to Slack" (owner/admin); the door builds the URL.

    Bound to the browser session that starts it: the door keeps the nonce in that session.
    """
    require_active(require_role(workspace_id, actor, Role.ADMIN))
    if actor.user_id is None:
        raise Forbidden(_("Only a person can install the Slack app."))
    state = oauth_states.issue(STATE_PLATFORM, workspace_id, actor.user_id, browser_bound=True)
    db.session.commit()
    return state


def check_state(state: str, browser: oauth_states.CallbackBrowser) -> ConnectIntent:
    """Consume the state of an OAuth redirect (StateInvalid if bad, expired, replayed or not this browser's)."""
    return oauth_states.consume(STATE_PLATFORM, state, browser)


def complete_install(
    state: str | None,
    *,
    browser: oauth_states.CallbackBrowser,
    code: str | None,
    error: str | None,
    exchange: Callable[[str], Mapping[str, Any]] = slack.exchange_code,
) -> SlackInstallation:
    """Finish Slack's OAuth redirect: consume the state, check the installer, exchange the code, save.

    `exchange(code)` is Slack's oauth.v2.access (a core error when Slack refuses). Raises
    StateInvalid for a bad state and ConnectFailed (readable, with where to go back) for the rest.
    """
    intent = check_state(state or "", browser)
    actor = actor_for(intent)
    back = intent.workspace_id
    if error or not code:
        raise ConnectFailed(_("Slack was not added: the installation was cancelled."), workspace_id=back)
    try:
        answer = exchange(code)
    except VistaFlowError as exc:
        raise ConnectFailed(exc.message, workspace_id=back) from None
    team = answer.get("team")
    token = answer.get("access_token")
    if not isinstance(team, Mapping) or not isinstance(team.get("id"), str) or not team["id"]:
        raise ConnectFailed(
            _(
                "Slack answered without a Slack workspace (an organisation-wide install is not supported): "
                "add the app to one Slack workspace."
            ),
            workspace_id=back,
        )
    if not isinstance(token, str) or not token:
        raise ConnectFailed(_("Slack answered without a bot token; add the app again."), workspace_id=back)
    try:
        return save(
            intent,
            team_id=team["id"],
            team_name=str(team.get("name") or ""),
            bot_user_id=answer.get("bot_user_id") if isinstance(answer.get("bot_user_id"), str) else None,
            bot_token=token,
            scopes=answer.get("scope") if isinstance(answer.get("scope"), str) else "",
            actor=actor,
        )
    except (Conflict, Forbidden, NotFound, Invalid) as exc:
        raise ConnectFailed(exc.message, workspace_id=back) from None


def save(
    intent: ConnectIntent,
    *,
    team_id: str,
    team_name: str,
    bot_user_id: str | None,
    bot_token: str,
    scopes: str,
    actor: Actor,
) -> SlackInstallation:
    """Store (or refresh) the workspace's installation with its bot token encrypted."""
    require_active(require_role(intent.workspace_id, actor, Role.ADMIN))
    other = db.session.scalar(
        select(SlackInstallation).where(
            SlackInstallation.team_id == team_id, SlackInstallation.workspace_id != intent.workspace_id
        )
    )
    if other is not None:
        raise Conflict(
            _("This Slack workspace is already linked to another VistaFlow workspace; remove it there first.")
        )
    installation = db.session.scalar(
        select(SlackInstallation).where(SlackInstallation.workspace_id == intent.workspace_id)
    )
    if installation is None:
        installation = SlackInstallation(workspace_id=intent.workspace_id, team_id=team_id)
        db.session.add(installation)
    elif installation.team_id != team_id:
        # A different Slack team replaces the old one: its channel means nothing there.
        installation.alerts_channel_id = None
        installation.alerts_channel_name = None
    installation.team_id = team_id
    installation.team_name = (team_name or "")[:200]
    installation.bot_user_id = bot_user_id
    installation.scopes = (scopes or "")[:1000]
    installation.installed_by_user_id = actor.user_id
    installation.disabled_at = None
    installation.disabled_reason = None
    db.session.flush()
    installation.store_token(bot_token)
    audit.record(
        actor,
        "slack.installed",
        workspace_id=intent.workspace_id,
        subject_type="slack_installation",
        subject_id=installation.id,
        details={"team_id": team_id, "team_name": installation.team_name},
    )
    db.session.commit()
    return installation


def for_workspace(workspace_id: int, *, actor: Actor) -> SlackInstallation | None:
    """The workspace's Slack installation, if any."""
    require_role(workspace_id, actor)
    return db.session.scalar(select(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id))


def for_team(team_id: str) -> SlackInstallation | None:
    """The active installation of a Slack team (the bot door finds the workspace this way)."""
    installation = db.session.scalar(select(SlackInstallation).where(SlackInstallation.team_id == team_id))
    return installation if installation is not None and installation.is_active else None


def workspace_for_requests(team_id: str) -> int | None:
    """The workspace a Slack request's deferred job is recorded under; None when unknown or suspended.

    A suspended workspace's jobs are refused, yet its request still runs: only to tell the person so.
    """
    installation = for_team(team_id)
    if installation is None or not workspace_status.is_active(installation.workspace_id):
        return None
    return installation.workspace_id


def _installation(workspace_id: int, actor: Actor) -> SlackInstallation:
    require_active(require_role(workspace_id, actor, Role.ADMIN))
    installation = db.session.scalar(select(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id))
    if installation is None:
        raise NotFound(_("Slack is not installed for this workspace."))
    return installation


def set_channel(workspace_id: int, channel_id: str, channel_name: str, *, actor: Actor) -> SlackInstallation:
    """Choose the channel alerts and hot target cards go to (owner/admin)."""
    installation = _installation(workspace_id, actor)
    channel_id = (channel_id or "").strip()
    if not channel_id or len(channel_id) > 32 or not channel_id.isalnum():
        raise Invalid(_("Choose a channel."), fields={"channel_id": _("Pick a channel from the list.")})
    installation.alerts_channel_id = channel_id
    installation.alerts_channel_name = (channel_name or channel_id)[:200]
    audit.record(
        actor,
        "slack.channel_chosen",
        workspace_id=workspace_id,
        subject_type="slack_installation",
        subject_id=installation.id,
        details={"channel_id": channel_id},
    )
    db.session.commit()
    return installation


def clean_alerts(values: dict[str, Any]) -> dict[str, bool]:
    unknown = sorted(set(values) - set(ALERT_KINDS))
    if unknown:
        raise Invalid(_("Unknown alert."), fields={"alerts": "Unknown: " + ", ".join(unknown)})
    return {kind: bool(values.get(kind)) for kind in ALERT_KINDS}


def set_slack_alerts(
    workspace_id: int, values: dict[str, Any], *, actor: Actor, locale: str | None = None
) -> SlackInstallation:
    """Switch each Slack alert on or off, and set the channel's language ('' = the workspace's) (owner/admin)."""
    installation = _installation(workspace_id, actor)
    installation.alerts = clean_alerts(values)
    if locale is not None:
        installation.locale = clean_locale(locale)
    audit.record(
        actor,
        "slack.alerts_changed",
        workspace_id=workspace_id,
        subject_type="slack_installation",
        subject_id=installation.id,
        details=installation.alerts,
    )
    db.session.commit()
    return installation


def set_telegram_alerts(
    workspace_id: int, chat_row_id: int, values: dict[str, Any], *, actor: Actor, locale: str | None = None
) -> TelegramChat:
    """Switch each alert of one linked Telegram chat on or off, and set its language ('' = default) (owner/admin)."""
    require_active(require_role(workspace_id, actor, Role.ADMIN))
    chat = get_scoped(TelegramChat, chat_row_id, actor, Role.ADMIN, what="Chat", workspace_id=workspace_id)
    chat.alerts = clean_alerts(values)
    if locale is not None:
        chat.locale = clean_locale(locale)
    audit.record(
        actor,
        "telegram.alerts_changed",
        workspace_id=workspace_id,
        subject_type="telegram_chat",
        subject_id=chat.chat_id,
        details=chat.alerts,
    )
    db.session.commit()
    return chat


def uninstall(workspace_id: int, *, actor: Actor) -> None:
    """Forget the Slack installation and its token (owner/admin)."""
    installation = _installation(workspace_id, actor)
    db.session.delete(installation)
    audit.record(
        actor,
        "slack.uninstalled",
        workspace_id=workspace_id,
        subject_type="slack_installation",
        subject_id=installation.id,
    )
    db.session.commit()


def disable_team(team_id: str, reason: str) -> bool:
    """Slack revoked the token or removed the app: stop using it instead of failing forever."""
    result = db.session.execute(
        update(SlackInstallation)
        .where(SlackInstallation.team_id == team_id, SlackInstallation.disabled_at.is_(None))
        .values(disabled_at=utcnow(), disabled_reason=reason[:500])
    )
    db.session.commit()
    return bool(result.rowcount)


def drop_channel(installation_id: int, reason: str) -> None:
    """The alerts channel is gone or the bot was removed from it: stop posting there."""
    installation = db.session.get(SlackInstallation, installation_id)
    if installation is not None:
        installation.alerts_channel_id = None
        installation.disabled_reason = reason[:500]
        db.session.commit()
