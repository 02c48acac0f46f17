"""Erasing a person from the console: a confirmation page, then the same service as the API."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import NotFound
from core.models import Role, Target
from core.services import privacy
from core.services.access import get_scoped

CONFIRM_WORD = "ERASE"


def _target_in(workspace_id: int, target_id: int) -> Target:
    # The URL's workspace must be the target's, so a form cannot reach across workspaces.
    target = get_scoped(Target, target_id, console_actor(), Role.MEMBER, what="Target")
    if target.workspace_id != workspace_id:
        raise NotFound("Target not found.")
    return target


@bp.route("/w/<int:workspace_id>/targets/<int:target_id>/erase", methods=["GET", "POST"])
@login_required
def erase_target(workspace_id: int, target_id: int):
    workspace, role = load_workspace(workspace_id)
    target = _target_in(workspace_id, target_id)
    error = None
    if request.method == "POST":
        if request.form.get("confirm", "").strip().upper() != CONFIRM_WORD:
            error = f"Type {CONFIRM_WORD} to confirm."
        else:
            privacy.erase_person(target_id, actor=console_actor())
            flash("The person's personal data was erased; they stay on the do-not-contact list.", "success")
            return redirect(url_for("web.workspace_overview", workspace_id=workspace_id), 303)
    return render_template(
        "privacy/erase.html", workspace=workspace, role=role, target=target, error=error, confirm_word=CONFIRM_WORD
    ), (422 if error else 200)
