"""Automations in the console: the list, the editor with a live preview, the dry run, and each rule's figures.

The editor's form is turned into the same camelCase spec the API takes, so both doors share one check.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_date
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from console.i18n import current_locale
from console.web import bp
from console.web.charts import bar_chart
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Forbidden, Invalid
from core.i18n import _
from core.models import LeadStatus
from core.services.automations import dry_run, rules, stats, wording
from core.services.automations.spec import DEFAULTS, MAX_VARIANTS, TRIGGER_ON
from core.services.outreach import templates
from core.words import LEAD_STATUS_NAMES


def _lines(value: str) -> list[str]:
    return [part.strip() for chunk in value.splitlines() for part in chunk.split(",") if part.strip()]


def _int(value: str | None) -> int | str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return value  # the spec check names the field


def _percent(value: str | None) -> float | str | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return float(value) / 100
    except ValueError:
        return value  # the spec check names the field


def spec_from_form(form: MultiDict) -> dict[str, Any]:
    """The editor's fields as the spec `rules.create` and `rules.update` take."""
    variants = []
    for index in range(MAX_VARIANTS):
        template_id = _int(form.get(f"variant_{index}_template"))
        if template_id is None:
            continue
        weight = _int(form.get(f"variant_{index}_weight"))
        variants.append(
            {
                "id": _int(form.get(f"variant_{index}_id")),
                "templateId": template_id,
                "weight": 50 if weight is None else weight,
                "paused": form.get(f"variant_{index}_paused") == "on",
            }
        )
    start, until = (form.get("active_from") or "").strip(), (form.get("active_until") or "").strip()
    return {
        "name": form.get("name", ""),
        "priority": _int(form.get("priority")) if form.get("priority") else DEFAULTS["priority"],
        "trigger": {
            "on": form.getlist("trigger_on") or ["comment"],
            "keywords": _lines(form.get("keywords", "")),
            "intent": form.get("intent") == "on",
            "minIntent": _percent(form.get("min_intent")),
            "minScore": _int(form.get("min_score")),
            "mediaIds": _lines(form.get("media_ids", "")) or None,
        },
        "exclude": {
            "customers": form.get("exclude_customers") == "on",
            "leadStatuses": form.getlist("exclude_statuses"),
            "messagedWithinDays": _int(form.get("messaged_within_days")),
        },
        "variants": variants,
        "publicReplies": [line.strip() for line in form.get("public_replies", "").splitlines() if line.strip()],
        "mode": form.get("mode", "review"),
        "active": form.get("active") == "on",
        "createLead": form.get("create_lead") == "on",
        "chatAlert": form.get("chat_alert") == "on",
        "leadTag": form.get("lead_tag") or None,
        "activeHours": {"from": start, "until": until} if start or until else None,
    }


def _admin_only(role) -> None:
    # The editor is the admins' (a rule sends messages in the workspace's name); members read the rule's page.
    if role is None or role.value not in ("owner", "admin"):
        raise Forbidden(_("This needs the %(value)s role or higher in the workspace.", value="admin"))


def _editor(workspace, role, spec: dict[str, Any], *, rule=None, errors=None):
    _admin_only(role)
    actor = console_actor()
    choices = templates.page_for(workspace.id, actor=actor, limit=200).items
    return render_template(
        "automations/edit.html",
        workspace=workspace,
        role=role,
        rule=rule,
        spec=spec,
        errors=errors or {},
        choices=choices,
        bodies={t.id: t.body for t in choices},
        values=templates.sample_values(workspace.id, actor=actor),
        trigger_kinds=TRIGGER_ON,
        statuses=[(s.value, LEAD_STATUS_NAMES[s.value]) for s in LeadStatus],
        max_variants=MAX_VARIANTS,
    ), (422 if errors else 200)


@bp.get("/w/<int:workspace_id>/automations")
@login_required
def automations(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    found = rules.list_for(workspace_id, actor=console_actor())
    figures = {rule.id: stats.compute(rule) for rule in found}
    return render_template(
        "automations/list.html", workspace=workspace, role=role, rules=found, figures=figures, wording=wording
    )


@bp.get("/w/<int:workspace_id>/automations/new")
@login_required
def automation_new(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    return _editor(workspace, role, {**DEFAULTS, "name": "", "variants": []})


@bp.post("/w/<int:workspace_id>/automations/new")
@login_required
def automation_create(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    spec = spec_from_form(request.form)
    try:
        rule = rules.create(workspace_id, spec, actor=console_actor())
    except Invalid as exc:
        return _editor(workspace, role, spec, errors=exc.fields or {"name": exc.message})
    flash(gettext("Automation “%(name)s” saved.", name=rule.name), "success")
    return redirect(url_for("web.automation_page", workspace_id=workspace_id, rule_id=rule.id), 303)


@bp.get("/w/<int:workspace_id>/automations/<int:rule_id>/edit")
@login_required
def automation_edit(workspace_id: int, rule_id: int):
    workspace, role = load_workspace(workspace_id)
    rule = rules.get(rule_id, actor=console_actor(), workspace_id=workspace_id)
    return _editor(workspace, role, rules.as_spec(rule), rule=rule)


@bp.post("/w/<int:workspace_id>/automations/<int:rule_id>/edit")
@login_required
def automation_update(workspace_id: int, rule_id: int):
    workspace, role = load_workspace(workspace_id)
    rule = rules.get(rule_id, actor=console_actor(), workspace_id=workspace_id)
    spec = spec_from_form(request.form)
    try:
        rules.update(rule_id, spec, actor=console_actor(), workspace_id=workspace_id)
    except Invalid as exc:
        return _editor(workspace, role, spec, rule=rule, errors=exc.fields or {"name": exc.message})
    flash(gettext("Automation “%(name)s” saved.", name=rule.name), "success")
    return redirect(url_for("web.automation_page", workspace_id=workspace_id, rule_id=rule_id), 303)


@bp.get("/w/<int:workspace_id>/automations/<int:rule_id>")
@login_required
def automation_page(workspace_id: int, rule_id: int):
    workspace, role = load_workspace(workspace_id)
    figures = stats.of_rule(rule_id, actor=console_actor(), workspace_id=workspace_id)
    days = [format_date(day, "d MMM", locale=current_locale()) for day, _sent in figures.by_day]
    chart = bar_chart(
        days,
        [(gettext("DMs sent"), [sent for _day, sent in figures.by_day], "s-sent")],
        title=gettext("DMs sent by this rule, last %(num)d days", num=len(days)),
    )
    names = templates.names(workspace_id, actor=console_actor())
    return render_template(
        "automations/rule.html",
        workspace=workspace,
        role=role,
        rule=figures.rule,
        figures=figures,
        chart=chart,
        names=names,
        wording=wording,
    )


@bp.get("/w/<int:workspace_id>/automations/<int:rule_id>/dry-run")
@login_required
def automation_dry_run(workspace_id: int, rule_id: int):
    workspace, role = load_workspace(workspace_id)
    result = dry_run.run(rule_id, actor=console_actor(), workspace_id=workspace_id)
    rule = rules.get(rule_id, actor=console_actor(), workspace_id=workspace_id)
    return render_template(
        "automations/dry_run.html", workspace=workspace, role=role, rule=rule, result=result, wording=wording
    )


@bp.post("/w/<int:workspace_id>/automations/<int:rule_id>/switch")
@login_required
def automation_switch(workspace_id: int, rule_id: int):
    load_workspace(workspace_id)
    rule = rules.get(rule_id, actor=console_actor(), workspace_id=workspace_id)
    on = request.form.get("active") == "on"
    rules.update(rule_id, {"active": on}, actor=console_actor(), workspace_id=workspace_id)
    flash(
        gettext("“%(name)s” is on: new comments trigger it.", name=rule.name)
        if on
        else gettext("“%(name)s” is off.", name=rule.name),
        "success",
    )
    return redirect(url_for("web.automation_page", workspace_id=workspace_id, rule_id=rule_id), 303)


VARIANT = "/w/<int:workspace_id>/automations/<int:rule_id>/variants/<int:variant_id>"


def _variant_changed(workspace_id: int, rule_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("web.automation_page", workspace_id=workspace_id, rule_id=rule_id), 303)


@bp.post(VARIANT + "/pause")
@login_required
def automation_variant_pause(workspace_id: int, rule_id: int, variant_id: int):
    load_workspace(workspace_id)
    rules.set_variant_paused(rule_id, variant_id, True, actor=console_actor(), workspace_id=workspace_id)
    return _variant_changed(workspace_id, rule_id, gettext("Variant paused."))


@bp.post(VARIANT + "/resume")
@login_required
def automation_variant_resume(workspace_id: int, rule_id: int, variant_id: int):
    load_workspace(workspace_id)
    rules.set_variant_paused(rule_id, variant_id, False, actor=console_actor(), workspace_id=workspace_id)
    return _variant_changed(workspace_id, rule_id, gettext("Variant resumed."))


@bp.post(VARIANT + "/promote")
@login_required
def automation_variant_promote(workspace_id: int, rule_id: int, variant_id: int):
    load_workspace(workspace_id)
    rules.promote(rule_id, variant_id, actor=console_actor(), workspace_id=workspace_id)
    return _variant_changed(workspace_id, rule_id, gettext("Only this variant is sent from now on."))


@bp.post("/w/<int:workspace_id>/automations/<int:rule_id>/delete")
@login_required
def automation_delete(workspace_id: int, rule_id: int):
    load_workspace(workspace_id)
    rules.delete(rule_id, actor=console_actor(), workspace_id=workspace_id)
    flash(gettext("Automation deleted."), "success")
    return redirect(url_for("web.automations", workspace_id=workspace_id), 303)
