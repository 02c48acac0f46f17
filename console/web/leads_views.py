"""Leads pages: the table (filters, sort, bulk), the pipeline board, the detail page, and the CSV download."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import login_required

from console.api.lead_params import LeadExportQuery, LeadFilterQuery, LeadListQuery, parse_args
from console.api.leads import csv_response
from console.i18n import render
from console.redirects import referrer_or
from console.web import bp, dm_views
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Invalid
from core.models import LeadStatus
from core.services.integrations import configure as integrations
from core.services.leads import changes as leads
from core.services.leads import export as lead_export
from core.services.leads import queries as lead_queries
from core.services.leads import read as lead_read
from core.services.leads import timeline as lead_timeline
from core.services.leads.pipeline import allowed_from
from core.services.outreach import composer as composer_service
from core.services.workspaces import lifecycle as workspaces
from core.validation import whole_number, whole_numbers
from core.words import LEAD_STATUS_NAMES

STATUSES = [s.value for s in LeadStatus]
BOARD_CARDS = 50


def _members(workspace_id: int) -> list[Any]:
    return [m.user for m in workspaces.members_page(workspace_id, actor=console_actor(), limit=200).items]


def _query(model: type[LeadFilterQuery]) -> tuple[LeadFilterQuery, dict[str, str]]:
    try:
        return parse_args(model, request.args), {}
    except Invalid as exc:
        return model(), exc.fields


def _filter_args() -> dict[str, Any]:
    """The current filters (not the page cursor), to carry into links: sort, export, board."""
    return {k: request.args.getlist(k) for k in request.args if k in LeadFilterQuery.model_fields}


@bp.get("/w/<int:workspace_id>/leads")
@login_required
def workspace_leads(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    query, errors = _query(LeadListQuery)
    actor = console_actor()
    page = lead_queries.page(
        workspace_id,
        actor=actor,
        filters=query.filters(actor),
        sort=query.lead_sort(),
        cursor=query.cursor,
        limit=query.limit,
    )
    tags = leads.tags_of([row.lead.id for row in page.items])
    members = _members(workspace_id)
    return render_template(
        "leads/list.html",
        workspace=workspace,
        role=role,
        page=page,
        tags=tags,
        query=query,
        errors=errors,
        statuses=STATUSES,
        members=members,
        owners={u.id: u for u in members},
        args=_filter_args(),
    ), (422 if errors else 200)


@bp.get("/w/<int:workspace_id>/leads/board")
@login_required
def workspace_leads_board(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    query, errors = _query(LeadFilterQuery)
    actor = console_actor()
    filters = query.filters(actor)
    columns = []
    for status in LeadStatus:
        filters.statuses = [status]
        page = lead_queries.page(workspace_id, actor=actor, filters=filters, sort=query.lead_sort(), limit=BOARD_CARDS)
        columns.append({"status": status.value, "rows": page.items})
    filters.statuses = []
    counts = lead_queries.counts_by_status(workspace_id, actor=actor, filters=filters)
    members = _members(workspace_id)
    return render_template(
        "leads/board.html",
        workspace=workspace,
        role=role,
        columns=columns,
        counts=counts,
        errors=errors,
        allowed={s.value: [a.value for a in allowed_from(s)] for s in LeadStatus},
        owners={u.id: u for u in members},
        args=_filter_args(),
        limit=BOARD_CARDS,
    )


@bp.get("/w/<int:workspace_id>/leads/<int:lead_id>")
@login_required
def lead_detail(workspace_id: int, lead_id: int):
    workspace, role = load_workspace(workspace_id)
    actor = console_actor()
    found = lead_read.detail(lead_id, actor=actor, workspace_id=workspace_id)
    composer = composer_service.view(found.view.target.id, actor=actor, workspace_id=workspace_id)
    return render_template(
        "leads/detail.html",
        composer=composer,
        compose=dm_views.compose_state(composer, request.path),
        workspace=workspace,
        role=role,
        view=found.view,
        lead=found.view.lead,
        target=found.view.target,
        timeline=list(reversed(found.timeline)),
        dms=lead_timeline.dm_history(lead_id, actor=actor, workspace_id=workspace_id),
        members=_members(workspace_id),
        crm_links=integrations.lead_links(lead_id, actor=actor),
    )


def _back(workspace_id: int, lead_id: int | None = None):
    target = request.form.get("next", "")
    if target == "board":
        return redirect(url_for("web.workspace_leads_board", workspace_id=workspace_id), 303)
    if target == "list" or lead_id is None:
        return redirect(url_for("web.workspace_leads", workspace_id=workspace_id), 303)
    return redirect(url_for("web.lead_detail", workspace_id=workspace_id, lead_id=lead_id), 303)


@bp.post("/w/<int:workspace_id>/leads/<int:lead_id>/status")
@login_required
def lead_status(workspace_id: int, lead_id: int):
    form = request.form
    lead = leads.change_status(
        lead_id, form.get("status", ""), actor=console_actor(), note=form.get("note") or None, workspace_id=workspace_id
    )
    flash(
        gettext("Lead moved to %(status)s.", status=render(LEAD_STATUS_NAMES.get(lead.status, lead.status))), "success"
    )
    return _back(workspace_id, lead_id)


@bp.post("/w/<int:workspace_id>/leads/<int:lead_id>/edit")
@login_required
def lead_edit(workspace_id: int, lead_id: int):
    form = request.form
    leads.update(
        lead_id,
        actor=console_actor(),
        workspace_id=workspace_id,
        owner=whole_number(form.get("owner"), "owner"),
        tags=[t for t in form.get("tags", "").split(",") if t.strip()],
        notes=form.get("notes", ""),
        value=form.get("value", ""),
    )
    flash(gettext("Lead saved."), "success")
    return _back(workspace_id, lead_id)


@bp.post("/w/<int:workspace_id>/leads/bulk")
@login_required
def leads_bulk(workspace_id: int):
    form = request.form
    changes: dict[str, Any] = {}
    owner = form.get("owner", "")
    if owner:
        changes["owner"] = None if owner == "none" else whole_number(owner, "owner")
    ids = whole_numbers(form.getlist("lead_ids"), "lead_ids")
    result = leads.bulk_update(workspace_id, ids, actor=console_actor(), status=form.get("status") or None, **changes)
    flash(ngettext("%(num)d lead updated.", "%(num)d leads updated.", len(result.updated)), "success")
    for skip in result.skipped[:5]:
        flash(
            gettext("Lead %(lead_id)s skipped: %(reason)s", lead_id=skip["lead_id"], reason=render(skip["reason"])),
            "error",
        )
    return redirect(referrer_or(url_for("web.workspace_leads", workspace_id=workspace_id)), 303)


@bp.get("/w/<int:workspace_id>/leads/export.csv")
@login_required
def leads_export(workspace_id: int):
    load_workspace(workspace_id)
    query = parse_args(LeadExportQuery, request.args)
    actor = console_actor()
    return csv_response(
        lead_export.start(
            workspace_id, actor=actor, filters=query.filters(actor), sort=query.lead_sort(), dialect=query.format
        )
    )
