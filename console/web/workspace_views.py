"""Workspaces: create, switch, settings and members (the dashboard is in dashboard_views)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from console.i18n import forget_locale, render
from console.web import bp
from console.web.session import console_actor
from core.errors import Conflict, Forbidden, Invalid, TooManyRequests
from core.models import Role
from core.services.workspaces import invitations
from core.services.workspaces import lifecycle as workspaces
from core.validation import time_zones
from core.words import ROLE_NAMES

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
    status = 200
    if request.method == "POST":
        try:
            workspace = workspaces.create(
                request.form.get("name", ""), actor=console_actor(), time_zone=request.form.get("time_zone", "UTC")
            )
        except Invalid as exc:
            errors, status = exc.fields, 422
        except Forbidden as exc:  # an unverified address owns one workspace: said above the form
            flash(render(exc.message), "error")
            status = 403
        else:
            session["workspace_id"] = workspace.id
            flash(gettext("Workspace “%(name)s” created.", name=workspace.name), "success")
            return redirect(url_for("web.workspace_overview", workspace_id=workspace.id))
    return render_template(
        "workspaces/new.html", form=request.form, errors=errors, zones=COMMON_ZONES, all_zones=sorted(time_zones())
    ), status


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
    load_workspace(workspace_id)
    if request.method != "POST":
        return _members_page(workspace_id)
    try:
        issued = invitations.invite(
            workspace_id, request.form.get("email", ""), request.form.get("role", "member"), actor=console_actor()
        )
    except (Invalid, Conflict, TooManyRequests) as exc:
        status = 429 if isinstance(exc, TooManyRequests) else 422
        return _members_page(workspace_id, errors=exc.fields or {"email": exc.message}, status=status)
    # Rendered from the POST (no redirect): the link is shown once, never kept in the session.
    return _members_page(workspace_id, issued=issued)


@bp.post("/w/<int:workspace_id>/invitations/<int:invitation_id>/resend")
@login_required
def resend_invitation(workspace_id: int, invitation_id: int):
    load_workspace(workspace_id)
    return _members_page(workspace_id, issued=invitations.resend(workspace_id, invitation_id, actor=console_actor()))


@bp.post("/w/<int:workspace_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(workspace_id: int, invitation_id: int):
    invitation = invitations.revoke(workspace_id, invitation_id, actor=console_actor())
    flash(gettext("The invitation to %(email)s is revoked.", email=invitation.email), "success")
    return redirect(url_for("web.workspace_members", workspace_id=workspace_id), 303)


def _members_page(workspace_id: int, *, errors: dict | None = None, issued=None, status: int = 200):
    workspace, role = load_workspace(workspace_id)
    actor = console_actor()
    return render_template(
        "workspaces/members.html",
        workspace=workspace,
        role=role,
        members=workspaces.members_page(workspace_id, actor=actor, limit=200).items,
        invitations=invitations.pending(workspace_id, actor=actor),
        errors=errors or {},
        form=request.form,
        roles=[r.value for r in Role],
        issued=issued,
        issued_message=render(issued.message) if issued else None,
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


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    try:
        preview = invitations.preview(token)
    except Invalid as exc:
        return render_template("workspaces/invitation.html", link_error=render(exc.message)), 404
    refusal = None
    if request.method == "POST" and current_user.is_authenticated:
        try:
            membership = invitations.accept(token, actor=console_actor())
        except (Forbidden, Invalid) as exc:
            refusal = render(exc.message)
        else:
            flash(gettext("Welcome to %(workspace)s!", workspace=preview.workspace_name), "success")
            return redirect(url_for("web.workspace_overview", workspace_id=membership.workspace_id), 303)
    here = url_for("web.invitation", token=token)
    mismatch = current_user.is_authenticated and current_user.user.email.lower() != preview.email.lower()
    return render_template(
        "workspaces/invitation.html",
        invite=preview,
        role_name=render(ROLE_NAMES[preview.role.value]),
        refusal=refusal,
        mismatch=mismatch,
        login_url=url_for("web.login", next=here),
        signup_url=url_for("web.signup", next=here),
    ), (403 if refusal else 200)
