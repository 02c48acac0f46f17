"""Slack's HTTP endpoints: /slack/events (bolt), and the OAuth v2 install (/slack/install, /slack/oauth_redirect)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.slack import web
from bot.slack.app import bolt_for
from bot.slack.web import SlackFailure
from console.errors import error_json
from console.web.session import console_actor
from core.db import db
from core.errors import VistaFlowError
from core.models import Door, User
from core.services.actors import Actor
from core.services.chat import installations

bp = Blueprint("slack", __name__)

BOT_SCOPES = "chat:write,chat:write.public,commands,users:read,users:read.email,channels:read,groups:read"


def redirect_uri() -> str:
    return current_app.config["PUBLIC_URL"] + "/slack/oauth_redirect"


@bp.post("/slack/events")
def events():
    if not current_app.config.get("SLACK_SIGNING_SECRET"):
        return error_json("unavailable", "Slack is not configured: set SLACK_SIGNING_SECRET.", 503)
    return SlackRequestHandler(bolt_for(current_app._get_current_object())).handle(request)


@bp.get("/slack/install")
@login_required
def install():
    workspace_id = request.args.get("workspace_id", type=int)
    if not workspace_id:
        return error_json("validation_error", "Give workspace_id.", 422, {"workspace_id": "Required."})
    if not (current_app.config.get("SLACK_CLIENT_ID") and current_app.config.get("SLACK_CLIENT_SECRET")):
        flash("Slack is not configured: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.", "error")
        return redirect(url_for("web.chat_settings", workspace_id=workspace_id), 303)
    state = installations.start_install(workspace_id, actor=console_actor())
    query = urlencode(
        {
            "client_id": current_app.config["SLACK_CLIENT_ID"],
            "scope": BOT_SCOPES,
            "state": state,
            "redirect_uri": redirect_uri(),
        }
    )
    return redirect(f"{current_app.config['SLACK_AUTHORIZE_URL']}?{query}", 302)


@bp.get("/slack/oauth_redirect")
def oauth_redirect():
    try:
        intent = installations.check_state(request.args.get("state", ""))
    except VistaFlowError as exc:
        return error_json(exc.code, exc.message, 400)
    back = url_for("web.chat_settings", workspace_id=intent.workspace_id)
    if request.args.get("error") or not request.args.get("code"):
        flash("Slack was not added: the installation was cancelled.", "error")
        return redirect(back, 303)
    user = db.session.get(User, intent.user_id)
    actor = Actor.for_user(user, Door.CONSOLE)
    config = current_app.config
    try:
        answer = web.call(
            web.client(),
            "oauth_v2_access",
            client_id=config["SLACK_CLIENT_ID"],
            client_secret=config["SLACK_CLIENT_SECRET"],
            code=request.args["code"],
            redirect_uri=redirect_uri(),
        )
    except SlackFailure as failure:
        flash(f"Slack refused the installation ({failure.code}); try again.", "error")
        return redirect(back, 303)
    try:
        installations.save(
            intent,
            team_id=answer["team"]["id"],
            team_name=answer["team"].get("name") or "",
            bot_user_id=answer.get("bot_user_id"),
            bot_token=answer["access_token"],
            scopes=answer.get("scope") or "",
            actor=actor,
        )
    except VistaFlowError as exc:
        flash(exc.message, "error")
        return redirect(back, 303)
    if current_user.is_authenticated:
        flash("Slack is connected: now choose the channel for alerts.", "success")
    return redirect(back, 303)
