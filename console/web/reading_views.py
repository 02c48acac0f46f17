"""Teaching the reader from the console: label an interaction, see the workspace's versions, go back one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.services.reading import labels, versions


def label_words() -> dict[str, str]:
    return {
        "not_buyer": gettext("not a buyer"),
        "buyer": gettext("a buyer"),
        "not_opt_out": gettext("not an opt-out"),
        "opt_out": gettext("asked to stop"),
    }


def _back(workspace_id: int) -> str:
    back = request.form.get("next") or ""
    # Only a page of this workspace: a form field must not send the browser elsewhere.
    if not back.startswith(f"/w/{workspace_id}/") or "//" in back or "\\" in back:
        back = url_for("web.workspace_interactions", workspace_id=workspace_id)
    return back


@bp.post("/w/<int:workspace_id>/interactions/<int:interaction_id>/label")
@login_required
def label_interaction(workspace_id: int, interaction_id: int):
    load_workspace(workspace_id)
    done = labels.label_interaction(
        interaction_id, request.form.get("label", ""), actor=console_actor(), workspace_id=workspace_id
    )
    message = gettext("Thanks: read as %(label)s; the reader learns it.", label=label_words()[done.label])
    if done.opted_out:
        message += " " + gettext("The person is on the do-not-contact list.")
    flash(message, "success")
    return redirect(_back(workspace_id), 303)


@bp.get("/w/<int:workspace_id>/reading")
@login_required
def reading_versions(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    found = versions.history(workspace_id, actor=console_actor())
    return render_template(
        "reading/versions.html",
        workspace=workspace,
        role=role,
        versions=found,
        active=next((v for v in found if v.is_active), None),
        taught=labels.count(workspace_id),
    )


@bp.post("/w/<int:workspace_id>/reading/rollback")
@login_required
def reading_rollback(workspace_id: int):
    load_workspace(workspace_id)
    now = versions.rollback(workspace_id, actor=console_actor())
    if now is None:
        flash(gettext("Back to the shipped reader."), "success")
    else:
        flash(gettext("Back to version %(version)s.", version=now.version), "success")
    return redirect(url_for("web.reading_versions", workspace_id=workspace_id), 303)
