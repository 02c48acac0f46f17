"""Settings > Chat > Add to Slack: the OAuth v2 install (/slack/install) and Slack's redirect back.

Its own blueprint, not `web`: the URLs are Slack's to know and refusals before the redirect answer JSON
as they always did; the redirect back answers a page or a flash, never JSON or a 500.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from console.errors import error_json
from console.i18n import render
from console.web.session import console_actor
from core.errors import VistaFlowError
from core.platforms import slack
from core.services.accounts.connect import ConnectFailed
from core.services.chat import installations
from vistaflow.web import callback_browser, remember_oauth_start

bp = Blueprint("slack_install", __name__)

BOT_SCOPES = "chat:write,chat:write.public,commands,users:read,users:read.email,channels:read,groups:read"


@bp.get("/slack/install")
@login_required
def install():
    workspace_id = request.args.get("workspace_id", type=int)
    if not workspace_id:
        return error_json("validation_error", "Give workspace_id.", 422, {"workspace_id": "Required."})
    if not (current_app.config.get("SLACK_CLIENT_ID") and current_app.config.get("SLACK_CLIENT_SECRET")):
        flash(gettext("Slack is not configured: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."), "error")
        return redirect(url_for("web.chat_settings", workspace_id=workspace_id), 303)
    state = installations.start_install(workspace_id, actor=console_actor())
    remember_oauth_start(state.nonce)
    query = urlencode(
        {
            "client_id": current_app.config["SLACK_CLIENT_ID"],
            "scope": BOT_SCOPES,
            "state": state.token,
            "redirect_uri": slack.redirect_uri(),
        }
    )
    return redirect(f"{current_app.config['SLACK_AUTHORIZE_URL']}?{query}", 302)


@bp.get("/slack/oauth_redirect")
def oauth_redirect():
    """A browser arrives here from Slack: answer with a redirect or an HTML page, never JSON or a 500."""
    try:
        installation = installations.complete_install(
            request.args.get("state"),
            browser=callback_browser(),
            code=request.args.get("code"),
            error=request.args.get("error"),
        )
    except ConnectFailed as exc:
        flash(render(exc.message), "error")
        if exc.workspace_id is None:
            return redirect(url_for("web.home"), 303)
        return redirect(url_for("web.chat_settings", workspace_id=exc.workspace_id), 303)
    except VistaFlowError as exc:  # a bad, expired or replayed state
        return make_response(render_template("accounts/connect_error.html", message=exc.message), exc.status)
    if current_user.is_authenticated:
        flash(gettext("Slack is connected: now choose the channel for alerts."), "success")
    return redirect(url_for("web.chat_settings", workspace_id=installation.workspace_id), 303)
