"""The top bar's search page: people, leads and messages matching `q` in the current workspace."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Invalid
from core.services.search import everywhere


@bp.get("/w/<int:workspace_id>/search")
@login_required
def workspace_search(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    q = request.args.get("q", "")
    error = None
    try:
        found = everywhere.find(workspace_id, q, actor=console_actor())
    except Invalid as exc:
        found, error = everywhere.Found(q[:200]), exc.fields.get("q")
    return render_template(
        "search/results.html", workspace=workspace, role=role, found=found, search_q=found.q, error=error
    ), (422 if error else 200)
