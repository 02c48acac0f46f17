"""Server-rendered console pages."""

from __future__ import annotations

from flask import Blueprint, Flask, g, url_for
from flask_login import current_user

# Feature pages add themselves to the workspace sidebar: (label, endpoint), in order.
SIDEBAR: list[tuple[str, str]] = [("Accounts", "web.workspace_accounts")]
SIDEBAR += [("Targets", "web.workspace_targets")]
SIDEBAR += [("Interactions", "web.workspace_interactions")]
SIDEBAR += [("Leads", "web.workspace_leads")]
SIDEBAR += [("DMs", "web.dm_queue")]
SIDEBAR += [("Integrations", "web.workspace_integrations")]
SIDEBAR += [("Chat", "web.chat_settings")]

bp = Blueprint("web", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/assets")  # /static is the app's own (empty) static route


def init_app(app: Flask) -> None:
    from console.web import (  # noqa: F401  (routes register on import)  # noqa: F401  # noqa: F401
        accounts_views,
        auth_views,
        chat_views,
        dashboard_views,
        dm_views,
        integrations_views,
        interactions_views,
        jobs_views,
        leads_views,
        operator_views,
        page_links,
        privacy_views,
        profile_views,
        targets_views,
        workspace_views,
    )
    from console.web.formatting import init_app as init_formatting
    from console.web.session import console_actor, login_manager
    from core.services import workspaces

    login_manager.init_app(app)
    init_formatting(app)

    @app.context_processor
    def sidebar():
        def sidebar_items(workspace_id: int):
            return [
                {"label": label, "endpoint": endpoint, "url": url_for(endpoint, workspace_id=workspace_id)}
                for label, endpoint in SIDEBAR
            ]

        return {"sidebar_items": sidebar_items}

    @app.context_processor
    def navigation():
        if not current_user.is_authenticated:
            return {"nav_workspaces": [], "current_workspace": None}
        if "nav_workspaces" not in g:
            g.nav_workspaces = workspaces.list_for(console_actor())
        return {"nav_workspaces": g.nav_workspaces, "current_workspace": g.get("workspace")}

    app.register_blueprint(bp)
