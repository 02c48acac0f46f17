"""Interactions page: filters, per-account "Collect now" with progress, and each account's last result."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import login_required

from console.web import bp
from console.web.reading_views import label_words
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Invalid, NotFound
from core.pagination import Page
from core.services.collection import cycle as collection
from core.services.collection import interactions
from core.services.reading import labels
from core.validation import whole_number

FILTER_KEYS = ("account", "kind", "author", "q", "since", "until")


def _local_datetime(raw: str, zone: str, field: str, errors: dict[str, str]) -> datetime | None:
    """A datetime-local field, read in the workspace's time zone."""
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        errors[field] = gettext("Use a date and time, e.g. 2026-03-01T09:30.")
        return None
    return value.replace(tzinfo=ZoneInfo(zone)) if value.tzinfo is None else value


def _filters(zone: str) -> tuple[interactions.Filters, dict[str, str]]:
    args, errors = request.args, {}
    try:
        account_id = whole_number(args.get("account"), "account")
    except Invalid:
        account_id, errors["account"] = None, gettext("Pick an account from the list.")
    filters = interactions.Filters(
        account_id=account_id,
        kind=args.get("kind") or None,
        author=args.get("author") or None,
        q=args.get("q") or None,
        since=_local_datetime(args.get("since", ""), zone, "since", errors),
        until=_local_datetime(args.get("until", ""), zone, "until", errors),
    )
    return filters, errors


@bp.get("/w/<int:workspace_id>/interactions")
@login_required
def workspace_interactions(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    actor = console_actor()
    filters, errors = _filters(workspace.time_zone)
    cursor = request.args.get("cursor") or None
    page = Page(items=[], next_cursor=None)
    if not errors:
        try:
            page = interactions.page_for(workspace_id, actor=actor, filters=filters, cursor=cursor, limit=50)
        except Invalid as exc:
            errors = exc.fields or {"q": exc.message}
        except NotFound:
            errors = {"account": gettext("Pick an account from the list.")}
    rows = collection.overview(workspace_id, actor=actor)
    accounts = {row.account.id: row.account for row in rows}
    current = {key: request.args.get(key, "") for key in FILTER_KEYS}
    return render_template(
        "interactions/list.html",
        workspace=workspace,
        role=role,
        rows=rows,
        accounts=accounts,
        page=page,
        cursor=cursor,
        current=current,
        active_filters={k: v for k, v in current.items() if v},
        errors=errors,
        kinds=interactions.KINDS,
        collecting=any(row.job is not None for row in rows),
        taught=labels.of([i.id for i in page.items]),
        label_words=label_words(),
    ), (422 if errors else 200)


@bp.post("/w/<int:workspace_id>/interactions/collect/<int:account_id>")
@login_required
def collect_now(workspace_id: int, account_id: int):
    actor = console_actor()
    # The URL's workspace must be the account's, so a form cannot reach across workspaces.
    run = collection.request_collection(account_id, actor=actor, workspace_id=workspace_id)
    if run.status == "finished" and run.result:
        result = run.result
        collected = gettext(
            "Collected: %(new)s new, %(calls)s API calls",
            new=result.get("new_interactions", 0),
            calls=result.get("api_calls", 0),
        )
        errors_part = (
            ngettext(", %(num)d error.", ", %(num)d errors.", len(result["errors"])) if result.get("errors") else "."
        )
        flash(
            collected + errors_part,
            "success",
        )
    elif run.status == "failed":
        flash(gettext("The collection failed; see the account's last result."), "error")
    else:
        flash(gettext("Collection started; this page refreshes until it is done."), "success")
    return redirect(url_for("web.workspace_interactions", workspace_id=workspace_id), 303)
