"""Erasing a person from the console: a confirmation page, then the same service as the API."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.models import Role, Target
from core.services.identity.access import get_scoped
from core.services.privacy import erasure as privacy

CONFIRM_WORD = "ERASE"


def _target_in(workspace_id: int, target_id: int) -> Target:
    # The URL's workspace must be the target's, so a form cannot reach across workspaces.
    return get_scoped(Target, target_id, console_actor(), Role.MEMBER, what="Target", workspace_id=workspace_id)


# How each integration's part of an erasure is told (statuses from core.integrations.delivery.reach).
REACH_MESSAGES = [
    ("reached", _l("Also removed from"), "success"),
    ("retrying", _l("Not reached yet, retried automatically"), "error"),
    ("held", _l("Disabled, reached once enabled again"), "error"),
    ("failed", _l("Could not be reached (see the integration's delivery log)"), "error"),
]


@bp.route("/w/<int:workspace_id>/targets/<int:target_id>/erase", methods=["GET", "POST"])
@login_required
def erase_target(workspace_id: int, target_id: int):
    workspace, role = load_workspace(workspace_id)
    target = _target_in(workspace_id, target_id)
    error = None
    if request.method == "POST":
        if request.form.get("confirm", "").strip().upper() != CONFIRM_WORD:
            error = gettext("Type %(word)s to confirm.", word=CONFIRM_WORD)
        else:
            erasure = privacy.erase_person(target_id, actor=console_actor())
            flash(gettext("The person's personal data was erased; they stay on the do-not-contact list."), "success")
            for status, words, level in REACH_MESSAGES:
                names = [r["name"] for r in erasure.integrations if r["status"] == status]
                if names:
                    flash(gettext("%(words)s: %(names)s.", words=words, names=", ".join(names)), level)
            return redirect(url_for("web.workspace_overview", workspace_id=workspace_id), 303)
    return render_template(
        "privacy/erase.html", workspace=workspace, role=role, target=target, error=error, confirm_word=CONFIRM_WORD
    ), (422 if error else 200)
