"""Targets pages: the scored list with filters, one target's explanation, "Make lead", and the
scoring settings with a server-side preview of a sample target."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import login_required

from console.i18n import render
from console.web import bp, dm_views
from console.web.reading_views import label_words
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.db import db, utcnow
from core.errors import Conflict, Invalid
from core.i18n import _
from core.scoring import personas, sample
from core.scoring.settings import CAPPED_GROUPS, EVENT_SIGNALS, LABELS, SIGNALS, ScoringSettings
from core.services.leads import changes as leads
from core.services.outreach import composer as composer_service
from core.services.outreach import sequences as dm_sequences
from core.services.outreach import templates as dm_templates
from core.services.reading import labels as reading_labels
from core.services.targets import bulk, calibration
from core.services.targets import language as person_language
from core.services.targets import read as targets
from core.services.workspaces import lifecycle as workspaces
from core.services.workspaces.settings import read as read_settings
from core.validation import whole_number, whole_numbers


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
        q=args.get("q", "").strip() or None,
    )
    errors: dict[str, str] = {}
    try:
        page = targets.page(workspace_id, actor=console_actor(), filters=filters, cursor=args.get("cursor"), limit=50)
    except Invalid as exc:
        errors, page = exc.fields, targets.page(workspace_id, actor=console_actor(), filters=targets.TargetFilters())
    from core.services.accounts import connected as social_accounts

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
        leads_url=url_for("web.workspace_leads", workspace_id=workspace_id),
        settings=read_settings(workspace.settings).scoring,
        templates=sorted(dm_templates.names(workspace_id, actor=console_actor()).items(), key=lambda item: item[1]),
        sequences=_active_sequences(workspace_id),
    ), (422 if errors else 200)


def render_detail(workspace_id: int, target_id: int, *, form=None, errors=None, fill: bool = False, status: int = 200):
    """The target page with its DM composer: fresh, or as posted (`form`, with `errors`, or `fill`ed)."""
    workspace, role = load_workspace(workspace_id)
    found = targets.detail(target_id, actor=console_actor(), workspace_id=workspace_id)
    composer = composer_service.view(target_id, actor=console_actor(), workspace_id=workspace_id)
    back = _back(workspace_id, target_id) if form is not None else request.path
    compose = dm_views.compose_state(composer, back, form, errors)
    if fill:
        compose.text = composer.text_for(compose.template_id, compose.route) or compose.text
    return render_template(
        "targets/detail.html",
        workspace=workspace,
        role=role,
        target=found.target,
        interactions=found.interactions,
        taught=reading_labels.of([i.id for i in found.interactions]),
        person_language=person_language.of_target(found.target, remember=False),
        languages=dm_views.language_choices(),
        language_names=dict(dm_views.language_choices()),
        label_words=label_words(),
        likely_to_reply=calibration.likely_to_reply(workspace.settings, found.target.score),
        labels=LABELS,
        composer=composer,
        compose=compose,
        sequences=_active_sequences(workspace_id),
    ), status


def _active_sequences(workspace_id: int) -> list:
    return [s for s in dm_sequences.page_for(workspace_id, actor=console_actor(), limit=100).items if s.active]


@bp.post("/w/<int:workspace_id>/targets/<int:target_id>/language")
@login_required
def target_language(workspace_id: int, target_id: int):
    """Set the language the person is written to in, or go back to detecting it."""
    load_workspace(workspace_id)
    target = person_language.set_language(
        target_id, request.form.get("language") or None, actor=console_actor(), workspace_id=workspace_id
    )
    if target.language_set:
        name = dict(dm_views.language_choices())[target.language]
        flash(gettext("Drafts to this person use their %(language)s template.", language=name), "success")
    else:
        flash(gettext("The language is detected from what the person writes."), "success")
    return redirect(url_for("web.target_detail", workspace_id=workspace_id, target_id=target_id), 303)


@bp.post("/w/<int:workspace_id>/targets/<int:target_id>/enrol")
@login_required
def enrol_target(workspace_id: int, target_id: int):
    """Enrol this person in a sequence from their page; a refusal is flashed with the reason."""
    load_workspace(workspace_id)
    sequence_id = whole_number(request.form.get("sequence_id"), "sequence_id")
    outcome = bulk.enrol(workspace_id, [target_id], sequence_id=sequence_id, actor=console_actor())
    if outcome.skipped:
        flash(render(outcome.skipped[target_id]), "error")
    else:
        flash(gettext("Enrolled; the first step goes by the sending rules."), "success")
    return redirect(url_for("web.target_detail", workspace_id=workspace_id, target_id=target_id), 303)


@bp.get("/w/<int:workspace_id>/targets/<int:target_id>")
@login_required
def target_detail(workspace_id: int, target_id: int):
    return render_detail(workspace_id, target_id)


def _back(workspace_id: int, target_id: int) -> str:
    back = request.form.get("next") or ""
    # Only a page of this workspace: a form field must not send the browser elsewhere.
    if not back.startswith(f"/w/{workspace_id}/") or "//" in back or "\\" in back:
        back = url_for("web.target_detail", workspace_id=workspace_id, target_id=target_id)
    return back


@bp.post("/w/<int:workspace_id>/targets/<int:target_id>/dm")
@login_required
def compose_dm(workspace_id: int, target_id: int):
    form = request.form
    action = form.get("action", "draft")
    wanted = {
        "template_id": whole_number(form.get("template_id"), "template_id"),
        "text": form.get("text"),
        "route": form.get("route") or None,
        "workspace_id": workspace_id,
    }
    if action == "fill":
        # Without JavaScript: the page again, the chosen template filled for the chosen route.
        return render_detail(workspace_id, target_id, form=form, fill=True)
    if action not in ("draft", "send"):
        raise Invalid(_("Unknown action."), fields={"action": _("Save draft or Send now.")})
    try:
        if action == "send":
            composer_service.send_now(target_id, actor=console_actor(), **wanted)
            flash(gettext("DM approved; it is being sent."), "success")
        else:
            composer_service.save_draft(target_id, actor=console_actor(), **wanted)
            flash(gettext("Draft saved; it waits in the approval queue."), "success")
    except Invalid as exc:
        db.session.rollback()
        return render_detail(workspace_id, target_id, form=form, errors=exc.fields or {"text": exc.message}, status=422)
    return redirect(_back(workspace_id, target_id), 303)


@bp.post("/w/<int:workspace_id>/targets/<int:target_id>/lead")
@login_required
def make_lead(workspace_id: int, target_id: int):
    try:
        leads.create(workspace_id, target_id, actor=console_actor())
    except Conflict as exc:
        flash(render(exc.message), "success")  # already a lead: what the person wanted is done
    else:
        flash(gettext("Lead created."), "success")
    back = request.form.get("next") or url_for("web.workspace_targets", workspace_id=workspace_id)
    if not back.startswith("/w/"):
        back = url_for("web.workspace_targets", workspace_id=workspace_id)
    return redirect(back, 303)


@bp.post("/w/<int:workspace_id>/targets/rescore")
@login_required
def rescore_targets(workspace_id: int):
    _run, counts = targets.request_rescore(workspace_id, actor=console_actor(), full=True)
    if counts is None:
        flash(gettext("Rescore started; refresh in a moment."), "success")
    else:
        flash(
            ngettext(
                "%(num)d target scored: %(became_hot)s became hot, %(left_hot)s cooled down.",
                "%(num)d targets scored: %(became_hot)s became hot, %(left_hot)s cooled down.",
                counts.scored,
                became_hot=counts.became_hot,
                left_hot=counts.left_hot,
            ),
            "success",
        )
    return redirect(url_for("web.workspace_targets", workspace_id=workspace_id), 303)


FILTER_KEYS = ("sort", "min_score", "hot_only", "account", "platform", "q")


def _filters_from(form) -> targets.TargetFilters:
    """The list's filters, carried by the bulk form as f_<name> fields."""
    return targets.TargetFilters(
        sort=form.get("f_sort", "score"),
        min_score=form.get("f_min_score", type=int),
        hot_only=form.get("f_hot_only") == "on",
        account_id=form.get("f_account", type=int),
        platform=form.get("f_platform") or None,
        q=form.get("f_q", "").strip() or None,
    )


@bp.post("/w/<int:workspace_id>/targets/bulk")
@login_required
def targets_bulk(workspace_id: int):
    """Make leads of, or draft DMs to, the ticked people (or all matching the filters); says what happened."""
    load_workspace(workspace_id)  # a workspace the person is not in is not found, whatever the form says
    form, actor = request.form, console_actor()
    query = {key: form[f"f_{key}"] for key in FILTER_KEYS if form.get(f"f_{key}")}
    back = url_for("web.workspace_targets", workspace_id=workspace_id, **query)
    if form.get("scope") == "all":
        ids = bulk.matching_ids(workspace_id, _filters_from(form), actor=actor)
    else:
        ids = whole_numbers(form.getlist("target_ids"), "target_ids")
    if form.get("action") == "draft_dms":
        outcome = bulk.draft_dms(
            workspace_id, ids, template_id=whole_number(form.get("template_id"), "template_id"), actor=actor
        )
        done = ngettext("%(num)d DM drafted", "%(num)d DMs drafted", len(outcome.done))
    elif form.get("action") == "enrol":
        outcome = bulk.enrol(
            workspace_id, ids, sequence_id=whole_number(form.get("sequence_id"), "sequence_id"), actor=actor
        )
        done = ngettext("%(num)d person enrolled", "%(num)d people enrolled", len(outcome.done))
    elif form.get("action") == "make_leads":
        outcome = bulk.make_leads(workspace_id, ids, actor=actor)
        done = ngettext("%(num)d lead made", "%(num)d leads made", len(outcome.done))
    else:
        raise Invalid(
            gettext("Choose what to do."), fields={"action": gettext("Make leads, draft DMs or enrol in a sequence.")}
        )
    if outcome.skipped:
        why = ", ".join(f"{render(reason)} ({count})" for reason, count in outcome.reasons())
        flash(
            ngettext(
                "%(done)s, %(num)d skipped: %(why)s.",
                "%(done)s, %(num)d skipped: %(why)s.",
                len(outcome.skipped),
                done=done,
                why=why,
            ),
            "success" if outcome.done else "error",
        )
    else:
        flash(done + ".", "success")
    return redirect(back, 303)


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
            flash(gettext("Scoring settings saved; they apply from the next rescore."), "success")
            return redirect(url_for("web.scoring_settings", workspace_id=workspace_id), 303)
    elif form is not None:
        # Preview with the values being edited, without saving them.
        try:
            from core.services.workspaces.settings import merge

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
        personas=personas.score_all(settings, utcnow()),
        labels=LABELS,
        signals=SIGNALS,
        event_signals=EVENT_SIGNALS,
        groups=CAPPED_GROUPS,
    ), (422 if errors else 200)
