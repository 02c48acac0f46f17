"""The Admin section for platform operators (everyone else gets 404): workspaces, users, suspensions."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from core.errors import NotFound
from core.models import JobStatus
from core.services.mail import report as mail_report
from core.services.operators import admin as platform_admin
from core.services.operators import directory as platform_directory

PAGE_SIZE = 50


def operator_required(view):
    """Platform administrators only; a 404 for everyone else, whatever the method."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        try:
            platform_admin.require_platform_admin(console_actor())
        except NotFound:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _search_args() -> tuple[str, str | None]:
    return request.args.get("q", "").strip()[:200], request.args.get("cursor") or None


@bp.get("/console/admin")
@operator_required
def operator_home():
    return redirect(url_for("web.operator_workspaces"))


@bp.get("/console/admin/workspaces")
@operator_required
def operator_workspaces():
    q, cursor = _search_args()
    page = platform_directory.workspaces_page(actor=console_actor(), q=q, cursor=cursor, limit=PAGE_SIZE)
    counts = platform_directory.member_counts([w.id for w in page.items])
    return render_template("operator/workspaces.html", page=page, counts=counts, q=q, cursor=cursor)


@bp.get("/console/admin/workspaces/<int:workspace_id>")
@operator_required
def operator_workspace(workspace_id: int):
    detail = platform_directory.workspace_detail(workspace_id, actor=console_actor())
    return render_template("operator/workspace.html", d=detail, failed=JobStatus.FAILED.value)


@bp.post("/console/admin/workspaces/<int:workspace_id>/<any(suspend, reactivate):action>")
@operator_required
def operator_workspace_status(workspace_id: int, action: str):
    actor = console_actor()
    if action == "suspend":
        workspace = platform_admin.suspend_workspace(workspace_id, actor=actor, reason=request.form.get("reason", ""))
        flash(
            gettext("Workspace “%(name)s” suspended: its jobs stop and changes are refused.", name=workspace.name),
            "success",
        )
    else:
        workspace = platform_admin.reactivate_workspace(workspace_id, actor=actor)
        flash(gettext("Workspace “%(name)s” reactivated.", name=workspace.name), "success")
    return redirect(url_for("web.operator_workspace", workspace_id=workspace_id), 303)


@bp.get("/console/admin/users")
@operator_required
def operator_users():
    q, cursor = _search_args()
    page = platform_directory.users_page(actor=console_actor(), q=q, cursor=cursor, limit=PAGE_SIZE)
    return render_template("operator/users.html", page=page, q=q, cursor=cursor)


@bp.get("/console/admin/users/<int:user_id>")
@operator_required
def operator_user(user_id: int):
    detail = platform_directory.user_detail(user_id, actor=console_actor())
    return render_template("operator/user.html", d=detail)


@bp.post("/console/admin/users/<int:user_id>/<any(suspend, reactivate):action>")
@operator_required
def operator_user_status(user_id: int, action: str):
    actor = console_actor()
    if action == "suspend":
        user = platform_admin.suspend_user(user_id, actor=actor, reason=request.form.get("reason", ""))
        flash(
            gettext("%(email)s suspended: their logins, sessions and tokens are refused.", email=user.email), "success"
        )
    else:
        user = platform_admin.reactivate_user(user_id, actor=actor)
        flash(gettext("%(email)s reactivated.", email=user.email), "success")
    return redirect(url_for("web.operator_user", user_id=user_id), 303)


@bp.get("/console/admin/mail")
@operator_required
def operator_mail():
    report = mail_report.recent(actor=console_actor())
    return render_template("operator/mail.html", report=report)
