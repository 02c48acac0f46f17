"""Server-rendered console pages."""

from __future__ import annotations

from flask import Blueprint, Flask, g, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# Feature pages add themselves to the workspace sidebar: (label, endpoint), in order.
SIDEBAR: list[tuple[object, str]] = [(_l("Inbox"), "web.inbox")]
SIDEBAR += [(_l("Accounts"), "web.workspace_accounts")]
SIDEBAR += [(_l("Targets"), "web.workspace_targets")]
SIDEBAR += [(_l("Interactions"), "web.workspace_interactions")]
SIDEBAR += [(_l("Leads"), "web.workspace_leads")]
SIDEBAR += [(_l("DMs"), "web.dm_queue")]
SIDEBAR += [(_l("Automations"), "web.automations")]
SIDEBAR += [(_l("Integrations"), "web.workspace_integrations")]
SIDEBAR += [(_l("Chat"), "web.chat_settings")]

bp = Blueprint(
    "web", __name__, template_folder="../templates", static_folder="../static", static_url_path="/assets"
)  # /static is the app's own (empty) static route


def init_app(app: Flask) -> None:
    from console.web import (  # noqa: F401  (routes register on import)  # noqa: F401  # noqa: F401
        accounts_views,
        auth_views,
        automations_views,
        chat_views,
        conversations_views,
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
        reading_views,
        scoring_quality_views,
        search_views,
        slack_install_views,
        targets_views,
        unsubscribe_views,
        workspace_views,
    )
    from console.web.formatting import init_app as init_formatting
    from console.web.session import console_actor, login_manager
    from core.services.workspaces import lifecycle as workspaces

    login_manager.init_app(app)
    app.register_blueprint(slack_install_views.bp)
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
