"""Workspaces: create, switch, settings and members (the dashboard is in dashboard_views)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from console.i18n import forget_locale, render
from console.web import bp
from console.web.session import console_actor
from core.errors import Conflict, Invalid, TooManyRequests
from core.models import Role
from core.services.workspaces import lifecycle as workspaces
from core.validation import time_zones

COMMON_ZONES = ["UTC", "Europe/Paris", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"]


def load_workspace(workspace_id: int):
    """Load the workspace for a page (NotFound for foreign ids) and remember it for navigation."""
    workspace, role = workspaces.get(workspace_id, actor=console_actor())
    g.workspace, g.role = workspace, role
    forget_locale()  # the workspace's default language may now apply
    session["workspace_id"] = workspace.id
    return workspace, role


@bp.get("/")
@login_required
def home():
    rows = workspaces.list_for(console_actor())
    if not rows:
        return redirect(url_for("web.new_workspace"))
    ids = [w.id for w, _ in rows]
    # ?ws= is the workspace switcher's choice; a foreign or unknown id falls back like a stale session.
    chosen = request.args.get("ws", type=int)
    preferred = chosen if chosen in ids else session.get("workspace_id")
    return redirect(url_for("web.workspace_overview", workspace_id=preferred if preferred in ids else ids[0]))


@bp.route("/w/new", methods=["GET", "POST"])
@login_required
def new_workspace():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            workspace = workspaces.create(
                request.form.get("name", ""), actor=console_actor(), time_zone=request.form.get("time_zone", "UTC")
            )
        except Invalid as exc:
            errors = exc.fields
        else:
            session["workspace_id"] = workspace.id
            flash(gettext("Workspace “%(name)s” created.", name=workspace.name), "success")
            return redirect(url_for("web.workspace_overview", workspace_id=workspace.id))
    return render_template(
        "workspaces/new.html", form=request.form, errors=errors, zones=COMMON_ZONES, all_zones=sorted(time_zones())
    ), (422 if errors else 200)


@bp.route("/w/<int:workspace_id>/settings", methods=["GET", "POST"])
@login_required
def workspace_settings(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        settings = {
            "default_daily_dm_quota": form.get("default_daily_dm_quota", ""),
            "collection_look_back_days": form.get("collection_look_back_days", ""),
            "auto_lead_from_hot": form.get("auto_lead_from_hot") == "on",
        }
        if "default_locale" in form:  # the language of members who chose none and whose browser asks for none
            settings["default_locale"] = form["default_locale"]
        if "raw_payload_retention_days" in form:  # a form from before the field existed keeps the stored value
            settings["raw_payload_retention_days"] = form["raw_payload_retention_days"]
        try:
            workspaces.update(
                workspace_id,
                actor=console_actor(),
                name=form.get("name", ""),
                time_zone=form.get("time_zone", ""),
                settings=settings,
            )
        except Invalid as exc:
            errors = exc.fields
        else:
            flash(gettext("Settings saved."), "success")
            return redirect(url_for("web.workspace_settings", workspace_id=workspace_id))
    return render_template(
        "workspaces/settings.html",
        workspace=workspace,
        role=role,
        errors=errors,
        form=request.form if errors else None,
        all_zones=sorted(time_zones()),
    ), (422 if errors else 200)


@bp.route("/w/<int:workspace_id>/members", methods=["GET", "POST"])
@login_required
def workspace_members(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            answer = workspaces.add_member(
                workspace_id, request.form.get("email", ""), request.form.get("role", "member"), actor=console_actor()
            )
        except (Invalid, Conflict, TooManyRequests) as exc:
            errors = exc.fields or {"email": exc.message}
            status = 429 if isinstance(exc, TooManyRequests) else 422
        else:
            flash(render(answer.message), "info")
            return redirect(url_for("web.workspace_members", workspace_id=workspace_id))
    members = workspaces.members_page(workspace_id, actor=console_actor(), limit=200).items
    return render_template(
        "workspaces/members.html",
        workspace=workspace,
        role=role,
        members=members,
        errors=errors,
        form=request.form,
        roles=[r.value for r in Role],
    ), status


@bp.post("/w/<int:workspace_id>/members/<int:user_id>/role")
@login_required
def change_member_role(workspace_id: int, user_id: int):
    workspaces.change_role(workspace_id, user_id, request.form.get("role", ""), actor=console_actor())
    flash(gettext("Role updated."), "success")
    return redirect(url_for("web.workspace_members", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/members/<int:user_id>/remove")
@login_required
def remove_member(workspace_id: int, user_id: int):
    leaving = user_id == current_user.user.id
    workspaces.remove_member(workspace_id, user_id, actor=console_actor())
    flash(gettext("You left the workspace.") if leaving else gettext("Member removed."), "success")
    if leaving:
        session.pop("workspace_id", None)
        return redirect(url_for("web.home"), 303)
    return redirect(url_for("web.workspace_members", workspace_id=workspace_id), 303)
