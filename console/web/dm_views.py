"""DM console pages: approval queue with quota gauges, history, templates with live preview, sequences."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.db import db
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.models import DmStatus, DmTemplate, SocialAccount, Target
from core.services.outreach import dms, quota, sequences, settings, templates
from core.validation import whole_number, whole_numbers

PROBLEMS = (Conflict, Forbidden, Invalid)


def _message(exc) -> str:
    return " ".join(exc.fields.values()) if getattr(exc, "fields", None) else exc.message


def _targets(dm_rows) -> dict[int, Target]:
    return {t.id: t for t in (db.session.get(Target, d.target_id) for d in dm_rows) if t}


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
        targets=_targets(page.items),
        gauges=gauges,
        remaining=sum(g.remaining for g in gauges),
    )


@bp.post("/w/<int:workspace_id>/dm/<int:dm_id>/approve")
@login_required
def dm_approve(workspace_id: int, dm_id: int):
    dms.get(dm_id, actor=console_actor(), workspace_id=workspace_id)  # the URL's workspace must be the DM's
    text = request.form.get("text")
    try:
        dms.approve(dm_id, actor=console_actor(), text=text if text is not None else None)
    except PROBLEMS as exc:
        flash(_message(exc), "error")
    else:
        flash("DM approved; it is being sent.", "success")
    return redirect(url_for("web.dm_queue", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/dm/<int:dm_id>/skip")
@login_required
def dm_skip(workspace_id: int, dm_id: int):
    dms.get(dm_id, actor=console_actor(), workspace_id=workspace_id)
    try:
        dms.skip(dm_id, actor=console_actor())
    except PROBLEMS as exc:
        flash(_message(exc), "error")
    else:
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
        flash(_message(exc), "error")
        return redirect(url_for("web.dm_history", workspace_id=workspace_id), 303)
    accounts = db.session.scalars(db.select(SocialAccount).where(SocialAccount.workspace_id == workspace_id)).all()
    return render_template(
        "dm/history.html",
        workspace=workspace,
        role=role,
        page=page,
        targets=_targets(page.items),
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
    sample = db.session.scalar(
        db.select(Target)
        .where(Target.workspace_id == workspace_id, Target.platform == "instagram")
        .order_by(Target.score.desc(), Target.id)
        .limit(1)
    )
    values = (
        templates.values_for(sample, db.session.get(SocialAccount, sample.social_account_id))
        if sample
        else {
            "username": "@someone",
            "post_url": "https://www.instagram.com/p/example/",
            "comment_excerpt": "love this, how much?",
            "account_name": "@your_shop",
        }
    )
    return render_template(
        "dm/templates.html",
        workspace=workspace,
        role=role,
        items=items,
        current=current,
        errors=errors,
        form=request.form if errors else None,
        values=values,
        variables=templates.VARIABLES,
        max_text=templates.MAX_TEXT,
        dm_settings=settings.read(workspace_id, actor=console_actor()),
    ), (422 if errors else 200)


@bp.post("/w/<int:workspace_id>/dm/templates/<int:template_id>/delete")
@login_required
def dm_template_delete(workspace_id: int, template_id: int):
    templates.get(template_id, actor=console_actor(), workspace_id=workspace_id)
    try:
        templates.delete(template_id, actor=console_actor())
    except PROBLEMS as exc:
        flash(_message(exc), "error")
    else:
        flash("Template deleted.", "success")
    return redirect(url_for("web.dm_templates", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/dm/settings")
@login_required
def dm_settings(workspace_id: int):
    form = request.form
    try:
        settings.update(
            workspace_id,
            actor=console_actor(),
            default_template_id=whole_number(form.get("default_template_id"), "default_template_id"),
            min_gap_seconds=form.get("dm_min_gap_seconds", type=int),
            jitter_seconds=form.get("dm_gap_jitter_seconds", type=int),
        )
    except PROBLEMS as exc:
        flash(_message(exc), "error")
    else:
        flash("DM settings saved.", "success")
    return redirect(url_for("web.dm_templates", workspace_id=workspace_id), 303)


@bp.route("/w/<int:workspace_id>/dm/sequences", methods=["GET", "POST"])
@login_required
def dm_sequences(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    if request.method == "POST":
        form = request.form
        try:
            steps = [
                {"template_id": template_id, "delay_hours": whole_number(form.get(f"delay_{n}"), f"delay_{n}") or 0}
                for n in range(1, 4)
                if (template_id := whole_number(form.get(f"template_{n}"), f"template_{n}")) is not None
            ]
            sequences.create(workspace_id, actor=console_actor(), name=form.get("name", ""), steps=steps)
        except PROBLEMS as exc:
            flash(_message(exc), "error")
        else:
            flash("Sequence created.", "success")
        return redirect(url_for("web.dm_sequences", workspace_id=workspace_id), 303)
    enrollments = sequences.enrollments_for(
        workspace_id, actor=console_actor(), cursor=request.args.get("cursor"), limit=50
    )
    defined = {s.id: s for s in sequences.page_for(workspace_id, actor=console_actor(), limit=200).items}
    rows = [
        (
            e,
            defined[e.sequence_id],
            sequences.step_statuses(e, defined[e.sequence_id]),
            db.session.get(Target, e.target_id),
        )
        for e in enrollments.items
    ]
    names = {
        t.id: t.name for t in db.session.scalars(db.select(DmTemplate).where(DmTemplate.workspace_id == workspace_id))
    }
    return render_template(
        "dm/sequences.html",
        workspace=workspace,
        role=role,
        rows=rows,
        sequences=defined.values(),
        page=enrollments,
        template_names=names,
    )


@bp.post("/w/<int:workspace_id>/dm/enrollments/<int:enrollment_id>/<action>")
@login_required
def dm_enrollment_action(workspace_id: int, enrollment_id: int, action: str):
    change = {"pause": sequences.pause, "resume": sequences.resume, "cancel": sequences.cancel}.get(action)
    if change is None:
        raise NotFound("Not found.")
    try:
        enrollment = change(enrollment_id, actor=console_actor(), workspace_id=workspace_id)
    except PROBLEMS as exc:
        flash(_message(exc), "error")
    else:
        flash(f"Enrolment {enrollment.status}.", "success")
    return redirect(url_for("web.dm_sequences", workspace_id=workspace_id), 303)
