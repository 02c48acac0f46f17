"""The workspace dashboard (the workspace's home page)."""

from __future__ import annotations

from babel.dates import format_date
from flask import render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from console.i18n import current_locale, render
from console.web import bp, charts
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.services.workspaces import dashboard
from core.words import LEAD_STATUS_NAMES

SERIES_NAMES = {"comments": _l("comments"), "mentions": _l("mentions"), "messages": _l("messages")}
HALF = 400  # charts in a half-width card get a narrower canvas, so their text stays readable


@bp.get("/w/<int:workspace_id>")
@login_required
def workspace_overview(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    board = dashboard.build(workspace_id, actor=console_actor(), days=request.args.get("days", type=int) or 0)
    labels = [format_date(d, "d MMM", locale=current_locale()) for d in board.days]
    chart = {
        "interactions": charts.bar_chart(
            labels,
            [(str(SERIES_NAMES.get(name, name)), board.interactions[name], f"s-{name}") for name in dashboard.SERIES],
            title=gettext("Interactions per day, last %(num)d days", num=len(labels)),
        ),
        "dms": charts.bar_chart(
            labels,
            [(gettext("DMs sent"), board.dms_sent, "s-sent"), (gettext("replies"), board.replies, "s-replies")],
            title=gettext("DMs sent and replies per day, last %(num)d days", num=len(labels)),
            stacked=False,
            width=HALF,
        ),
        "scores": charts.bar_chart(
            [f"{10 * i}-{10 * i + 9 if i < 9 else 100}" for i in range(dashboard.SCORE_BUCKETS)],
            [(gettext("people"), board.score_buckets, "s-score")],
            title=gettext("Score distribution of the people VistaFlow knows"),
            label_every=2,
            width=HALF,
        ),
        "funnel": charts.funnel(
            [(render(LEAD_STATUS_NAMES.get(stage, stage)), count) for stage, count in board.funnel],
            title=gettext("Pipeline funnel: leads at or beyond each stage"),
            width=HALF,
        ),
    }
    return render_template(
        "dashboard/index.html", workspace=workspace, role=role, board=board, chart=chart, ranges=dashboard.RANGES
    )
