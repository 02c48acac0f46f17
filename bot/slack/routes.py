"""Slack's HTTP endpoints: /slack/events (bolt), and the OAuth v2 install (/slack/install, /slack/oauth_redirect)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.slack import web
from bot.slack.app import bolt_for
from bot.slack.web import SlackFailure
from console.errors import error_json
from console.web.session import console_actor
from core.errors import Unavailable, VistaFlowError
from core.services.chat import installations
from core.services.social_connect import ConnectFailed

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
    """A browser arrives here from Slack: answer with a redirect or an HTML page, never JSON or a 500."""
    try:
        installation = installations.complete_install(
            request.args.get("state"),
            code=request.args.get("code"),
            error=request.args.get("error"),
            exchange=_exchange,
        )
    except ConnectFailed as exc:
        flash(exc.message, "error")
        if exc.workspace_id is None:
            return redirect(url_for("web.home"), 303)
        return redirect(url_for("web.chat_settings", workspace_id=exc.workspace_id), 303)
    except VistaFlowError as exc:  # a bad, expired or replayed state
        return make_response(render_template("accounts/connect_error.html", message=exc.message), exc.status)
    if current_user.is_authenticated:
        flash("Slack is connected: now choose the channel for alerts.", "success")
    return redirect(url_for("web.chat_settings", workspace_id=installation.workspace_id), 303)


def _exchange(code: str) -> dict:
    config = current_app.config
    try:
        answer = web.call(
            web.client(),
            "oauth_v2_access",
            client_id=config["SLACK_CLIENT_ID"],
            client_secret=config["SLACK_CLIENT_SECRET"],
            code=code,
            redirect_uri=redirect_uri(),
        )
    except SlackFailure as failure:
        raise Unavailable(f"Slack refused the installation ({failure.code}); try again.") from None
    return dict(answer.data) if isinstance(answer.data, dict) else {}
