"""The workspace dashboard (the workspace's home page)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from console.web import bp, charts
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.services import dashboard

HALF = 400  # charts in a half-width card get a narrower canvas, so their text stays readable


@bp.get("/w/<int:workspace_id>")
@login_required
def workspace_overview(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    board = dashboard.build(workspace_id, actor=console_actor(), days=request.args.get("days", type=int) or 0)
    labels = [d.strftime("%d %b") for d in board.days]
    chart = {
        "interactions": charts.bar_chart(
            labels,
            [(name, board.interactions[name], f"s-{name}") for name in dashboard.SERIES],
            title=f"Interactions per day, last {len(labels)} days",
        ),
        "dms": charts.bar_chart(
            labels,
            [("DMs sent", board.dms_sent, "s-sent"), ("replies", board.replies, "s-replies")],
            title=f"DMs sent and replies per day, last {len(labels)} days",
            stacked=False,
            width=HALF,
        ),
        "scores": charts.bar_chart(
            [f"{10 * i}-{10 * i + 9 if i < 9 else 100}" for i in range(dashboard.SCORE_BUCKETS)],
            [("people", board.score_buckets, "s-score")],
            title="Score distribution of the people VistaFlow knows",
            label_every=2,
            width=HALF,
        ),
        "funnel": charts.funnel(board.funnel, title="Pipeline funnel: leads at or beyond each stage", width=HALF),
    }
    return render_template(
        "dashboard/index.html", workspace=workspace, role=role, board=board, chart=chart, ranges=dashboard.RANGES
    )
