"""Jobs page: recent and running background jobs of a workspace; admins retry failed ones."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Invalid
from core.models import JobStatus
from core.services.jobs import runs as job_runs

# What a person calls each kind of job; unknown kinds are shown with their own name.
KIND_LABELS = {
    "collect-account": _l("Collection"),
    "dm.send": _l("DM send"),
    "dm.sequence_step": _l("Sequence step"),
    "rescore": _l("Scoring"),
    "integration-delivery": _l("Delivery"),
    "outbox-dispatch": _l("Event dispatch"),
    "meta-webhook": _l("Instagram webhook"),
}
STATUSES = [s.value for s in JobStatus]


def kind_label(kind: str) -> str:
    return (
        str(KIND_LABELS[kind])
        if kind in KIND_LABELS
        else kind.replace("-", " ").replace("_", " ").replace(".", " · ").capitalize()
    )


def result_summary(result: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """The job's counts worth showing: numbers and short texts, errors aside."""
    if not result:
        return []
    shown = []
    for key, value in result.items():
        if key == "errors" or isinstance(value, dict | list) or value in (None, ""):
            continue
        shown.append((key.replace("_", " "), value))
    return shown[:6]


@bp.get("/w/<int:workspace_id>/jobs")
@login_required
def workspace_jobs(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    status = request.args.get("status") or None
    if status not in STATUSES:
        status = None
    cursor = request.args.get("cursor") or None
    try:
        page = job_runs.page_for_workspace(workspace_id, actor=console_actor(), status=status, cursor=cursor, limit=50)
    except Invalid:
        return redirect(url_for("web.workspace_jobs", workspace_id=workspace_id, status=status))
    return render_template(
        "jobs/list.html",
        workspace=workspace,
        role=role,
        page=page,
        status=status,
        cursor=cursor,
        statuses=STATUSES,
        kind_label=kind_label,
        result_summary=result_summary,
        can_retry=role is not None and role.value in ("owner", "admin"),
    )


@bp.post("/w/<int:workspace_id>/jobs/<job_id>/retry")
@login_required
def retry_job(workspace_id: int, job_id: str):
    load_workspace(workspace_id)
    actor = console_actor()
    run = job_runs.retry(job_id, actor=actor, workspace_id=workspace_id)
    outcome = {"failed": gettext("failed again"), "finished": gettext("finished")}.get(
        run.status, gettext("was queued")
    )
    flash(
        gettext("%(value)s retried: the new job %(outcome)s.", value=kind_label(run.kind), outcome=outcome),
        "success" if run.status != "failed" else "warn",
    )
    return redirect(url_for("web.workspace_jobs", workspace_id=workspace_id), 303)
