"""Scoring quality: how the score did against the workspace's own outcomes, and the owner's choice of
the suggested weights (apply, undo; audited by the service, never automatic)."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.scoring.settings import LABELS, SIGNALS
from core.services.targets import calibration


@bp.get("/w/<int:workspace_id>/scoring/quality")
@login_required
def scoring_quality(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    report = calibration.report(workspace_id, actor=console_actor())
    fitted_at = datetime.fromisoformat(report["fitted_at"]) if report.get("fitted_at") else None
    return render_template(
        "targets/quality.html",
        workspace=workspace,
        role=role,
        report=report,
        fitted_at=fitted_at,
        labels=LABELS,
        signals=SIGNALS,
    )


@bp.post("/w/<int:workspace_id>/scoring/quality/apply")
@login_required
def apply_scoring_quality(workspace_id: int):
    calibration.apply_suggested(workspace_id, actor=console_actor())
    flash(gettext("Suggested weights applied; they count from the next rescore. You can undo it here."), "success")
    return redirect(url_for("web.scoring_quality", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/scoring/quality/undo")
@login_required
def undo_scoring_quality(workspace_id: int):
    calibration.undo(workspace_id, actor=console_actor())
    flash(gettext("The previous weights are back."), "success")
    return redirect(url_for("web.scoring_quality", workspace_id=workspace_id), 303)
