"""Targets pages: the scored list with filters, one target's explanation, "Make lead", and the
scoring settings with a server-side preview of a sample target."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Conflict, Invalid
from core.scoring import sample
from core.scoring.settings import CAPPED_GROUPS, EVENT_SIGNALS, LABELS, SIGNALS, ScoringSettings
from core.services import leads, targets, workspaces
from core.workspace_settings import read as read_settings


def _endpoint_url(endpoint: str, **values: Any) -> str | None:
    """A link to another feature's page, only when that feature is installed."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.get("/w/<int:workspace_id>/targets")
@login_required
def workspace_targets(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    args = request.args
    filters = targets.TargetFilters(
        sort=args.get("sort", "score"),
        min_score=args.get("min_score", type=int),
        hot_only=args.get("hot_only") == "on",
        account_id=args.get("account", type=int),
        platform=args.get("platform") or None,
    )
    errors: dict[str, str] = {}
    try:
        page = targets.page(workspace_id, actor=console_actor(), filters=filters, cursor=args.get("cursor"), limit=50)
    except Invalid as exc:
        errors, page = exc.fields, targets.page(workspace_id, actor=console_actor(), filters=targets.TargetFilters())
    from core.services import social_accounts

    accounts = social_accounts.page_for(workspace_id, actor=console_actor(), limit=200).items
    query = {k: v for k, v in args.items() if k != "cursor" and v}
    return render_template(
        "targets/list.html",
        workspace=workspace,
        role=role,
        page=page,
        filters=filters,
        errors=errors,
        accounts=accounts,
        query=query,
        leads_url=_endpoint_url("web.workspace_leads", workspace_id=workspace_id),
        settings=read_settings(workspace.settings).scoring,
    ), (422 if errors else 200)


@bp.get("/w/<int:workspace_id>/targets/<int:target_id>")
@login_required
def target_detail(workspace_id: int, target_id: int):
    workspace, role = load_workspace(workspace_id)
    found = targets.detail(target_id, actor=console_actor(), workspace_id=workspace_id)
    return render_template(
        "targets/detail.html",
        workspace=workspace,
        role=role,
        target=found.target,
        interactions=found.interactions,
        options=found.options,
        labels=LABELS,
        outreach_url=_endpoint_url("web.workspace_outreach", workspace_id=workspace_id),
    )


@bp.post("/w/<int:workspace_id>/targets/<int:target_id>/lead")
@login_required
def make_lead(workspace_id: int, target_id: int):
    try:
        leads.create(workspace_id, target_id, actor=console_actor())
    except Conflict as exc:
        flash(exc.message, "success")  # already a lead: what the person wanted is done
    else:
        flash("Lead created.", "success")
    back = request.form.get("next") or url_for("web.workspace_targets", workspace_id=workspace_id)
    if not back.startswith("/w/"):
        back = url_for("web.workspace_targets", workspace_id=workspace_id)
    return redirect(back, 303)


@bp.post("/w/<int:workspace_id>/targets/rescore")
@login_required
def rescore_targets(workspace_id: int):
    _run, counts = targets.request_rescore(workspace_id, actor=console_actor(), full=True)
    if counts is None:
        flash("Rescore started; refresh in a moment.", "success")
    else:
        flash(
            f"{counts.scored} targets scored: {counts.became_hot} became hot, {counts.left_hot} cooled down.", "success"
        )
    return redirect(url_for("web.workspace_targets", workspace_id=workspace_id), 303)


def _settings_from_form(form) -> dict[str, Any]:
    """The scoring fields present in the form; an empty field keeps the stored value."""
    sections = {
        "weights": ("w_", SIGNALS),
        "daily_caps": ("cap_", EVENT_SIGNALS),
        "group_caps": ("gcap_", CAPPED_GROUPS),
    }
    changes: dict[str, Any] = {}
    for section, (prefix, names) in sections.items():
        values = {n: form[prefix + n] for n in names if form.get(prefix + n, "").strip()}
        if values:
            changes[section] = values
    for key in ("half_life_days", "hot_threshold", "cool_threshold"):
        if form.get(key, "").strip():
            changes[key] = form[key]
    return changes


def _sample(form, settings: ScoringSettings) -> sample.Sample:
    """The preview of a made-up person from the form's n_<signal> and age_<signal> fields (garbage counts 0)."""
    values = {s: (form.get(f"n_{s}", type=int), form.get(f"age_{s}", type=float)) for s in EVENT_SIGNALS}
    return sample.score(sample.rows_from(values), settings)


@bp.route("/w/<int:workspace_id>/scoring", methods=["GET", "POST"])
@login_required
def scoring_settings(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else None
    settings = read_settings(workspace.settings).scoring
    if form is not None and form.get("action") == "save":
        try:
            workspaces.update(workspace_id, actor=console_actor(), settings={"scoring": _settings_from_form(form)})
        except Invalid as exc:
            errors = exc.fields
        else:
            flash("Scoring settings saved; they apply from the next rescore.", "success")
            return redirect(url_for("web.scoring_settings", workspace_id=workspace_id), 303)
    elif form is not None:
        # Preview with the values being edited, without saving them.
        try:
            from core.workspace_settings import merge

            settings = read_settings(merge(workspace.settings, {"scoring": _settings_from_form(form)})).scoring
        except Invalid as exc:
            errors = exc.fields
    preview = _sample(form or request.args, settings)
    return render_template(
        "targets/scoring.html",
        workspace=workspace,
        role=role,
        settings=settings,
        form=form,
        errors=errors,
        sample=preview.score,
        sample_hot=preview.hot,
        sample_rows=preview.rows,
        labels=LABELS,
        signals=SIGNALS,
        event_signals=EVENT_SIGNALS,
        groups=CAPPED_GROUPS,
    ), (422 if errors else 200)
