"""DM console pages: approval queue with quota gauges, history, templates with live preview, sequences.

A refused action (Conflict, Forbidden, Invalid) is flashed by console.errors like everywhere else;
only the template form answers inline (422 with the fields marked).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from console.errors import flash_text
from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Invalid, NotFound
from core.models import DmStatus
from core.services import social_accounts
from core.services.outreach import dms, quota, sequences, settings, templates
from core.validation import whole_number, whole_numbers


@bp.get("/w/<int:workspace_id>/dm")
@login_required
def dm_queue(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    page = dms.page_for(workspace_id, actor=console_actor(), status=DmStatus.DRAFT.value, limit=200)
    gauges = quota.gauges(workspace_id, actor=console_actor())
    return render_template(
        "dm/queue.html",
        workspace=workspace,
        role=role,
        drafts=page.items,
        targets=dms.people_of(page.items),
        gauges=gauges,
        remaining=sum(g.remaining for g in gauges),
    )


@bp.post("/w/<int:workspace_id>/dm/<int:dm_id>/approve")
@login_required
def dm_approve(workspace_id: int, dm_id: int):
    dms.get(dm_id, actor=console_actor(), workspace_id=workspace_id)  # the URL's workspace must be the DM's
    dms.approve(dm_id, actor=console_actor(), text=request.form.get("text"))
    flash("DM approved; it is being sent.", "success")
    return redirect(url_for("web.dm_queue", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/dm/<int:dm_id>/skip")
@login_required
def dm_skip(workspace_id: int, dm_id: int):
    dms.get(dm_id, actor=console_actor(), workspace_id=workspace_id)
    dms.skip(dm_id, actor=console_actor())
    flash("DM skipped.", "success")
    return redirect(url_for("web.dm_queue", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/dm/bulk-approve")
@login_required
def dm_bulk_approve(workspace_id: int):
    ids = whole_numbers(request.form.getlist("dm_ids"), "dm_ids")
    result = dms.bulk_approve(workspace_id, ids, actor=console_actor())
    flash(f"{len(result.approved)} DM(s) approved.", "success")
    if result.refused:
        flash(f"{len(result.refused)} not approved: " + "; ".join(sorted(set(result.refused.values()))), "error")
    return redirect(url_for("web.dm_queue", workspace_id=workspace_id), 303)


@bp.get("/w/<int:workspace_id>/dm/history")
@login_required
def dm_history(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    args = request.args
    try:
        page = dms.page_for(
            workspace_id,
            actor=console_actor(),
            status=args.get("status") or None,
            account_id=args.get("account", type=int),
            target_id=args.get("target", type=int),
            cursor=args.get("cursor") or None,
            limit=50,
        )
    except Invalid as exc:
        # A bad filter from a link: back to the unfiltered history (the referrer may be this very link).
        flash(flash_text(exc), "error")
        return redirect(url_for("web.dm_history", workspace_id=workspace_id), 303)
    accounts = social_accounts.page_for(workspace_id, actor=console_actor(), limit=200).items
    return render_template(
        "dm/history.html",
        workspace=workspace,
        role=role,
        page=page,
        targets=dms.people_of(page.items),
        accounts=accounts,
        statuses=[s.value for s in DmStatus],
        args=args,
    )


@bp.route("/w/<int:workspace_id>/dm/templates", methods=["GET", "POST"])
@login_required
def dm_templates(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    errors: dict[str, str] = {}
    editing = request.args.get("edit", type=int)
    if request.method == "POST":
        form = request.form
        template_id = whole_number(form.get("template_id"), "template_id")  # a hidden field: garbage is no typo
        try:
            if template_id is not None:
                template = templates.get(template_id, actor=console_actor(), workspace_id=workspace_id)
                templates.update(
                    template.id, actor=console_actor(), name=form.get("name", ""), body=form.get("body", "")
                )
            else:
                templates.create(
                    workspace_id, actor=console_actor(), name=form.get("name", ""), body=form.get("body", "")
                )
        except Invalid as exc:
            errors = exc.fields or {"body": exc.message}
        else:
            flash("Template saved.", "success")
            return redirect(url_for("web.dm_templates", workspace_id=workspace_id), 303)
    items = templates.page_for(workspace_id, actor=console_actor(), limit=200).items
    current = next((t for t in items if t.id == editing), None)
    return render_template(
        "dm/templates.html",
        workspace=workspace,
        role=role,
        items=items,
        current=current,
        errors=errors,
        form=request.form if errors else None,
        values=templates.sample_values(workspace_id, actor=console_actor()),
        variables=templates.VARIABLES,
        max_text=templates.MAX_TEXT,
        dm_settings=settings.read(workspace_id, actor=console_actor()),
    ), (422 if errors else 200)


@bp.post("/w/<int:workspace_id>/dm/templates/<int:template_id>/delete")
@login_required
def dm_template_delete(workspace_id: int, template_id: int):
    templates.get(template_id, actor=console_actor(), workspace_id=workspace_id)
    templates.delete(template_id, actor=console_actor())
    flash("Template deleted.", "success")
    return redirect(url_for("web.dm_templates", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/dm/settings")
@login_required
def dm_settings(workspace_id: int):
    form = request.form
    settings.update(
        workspace_id,
        actor=console_actor(),
        default_template_id=whole_number(form.get("default_template_id"), "default_template_id"),
        min_gap_seconds=form.get("dm_min_gap_seconds", type=int),
        jitter_seconds=form.get("dm_gap_jitter_seconds", type=int),
    )
    flash("DM settings saved.", "success")
    return redirect(url_for("web.dm_templates", workspace_id=workspace_id), 303)


@bp.route("/w/<int:workspace_id>/dm/sequences", methods=["GET", "POST"])
@login_required
def dm_sequences(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    if request.method == "POST":
        form = request.form
        steps = [
            {"template_id": template_id, "delay_hours": whole_number(form.get(f"delay_{n}"), f"delay_{n}") or 0}
            for n in range(1, 4)
            if (template_id := whole_number(form.get(f"template_{n}"), f"template_{n}")) is not None
        ]
        sequences.create(workspace_id, actor=console_actor(), name=form.get("name", ""), steps=steps)
        flash("Sequence created.", "success")
        return redirect(url_for("web.dm_sequences", workspace_id=workspace_id), 303)
    page, rows = sequences.enrollment_rows(
        workspace_id, actor=console_actor(), cursor=request.args.get("cursor"), limit=50
    )
    return render_template(
        "dm/sequences.html",
        workspace=workspace,
        role=role,
        rows=[(r.enrollment, r.sequence, r.steps, r.target) for r in rows],
        sequences=sequences.page_for(workspace_id, actor=console_actor(), limit=200).items,
        page=page,
        template_names=templates.names(workspace_id, actor=console_actor()),
    )


@bp.post("/w/<int:workspace_id>/dm/enrollments/<int:enrollment_id>/<action>")
@login_required
def dm_enrollment_action(workspace_id: int, enrollment_id: int, action: str):
    change = {"pause": sequences.pause, "resume": sequences.resume, "cancel": sequences.cancel}.get(action)
    if change is None:
        raise NotFound("Not found.")
    enrollment = change(enrollment_id, actor=console_actor(), workspace_id=workspace_id)
    flash(f"Enrolment {enrollment.status}.", "success")
    return redirect(url_for("web.dm_sequences", workspace_id=workspace_id), 303)
