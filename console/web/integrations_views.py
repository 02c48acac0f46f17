"""Integrations page: add a webhook, Google Sheets, Notion, HubSpot or Pipedrive; test, enable/disable, events,
a CRM's pipeline and stage mapping, delivery log, replay."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from console.i18n import render
from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Conflict, Invalid
from core.events import EVENT_TYPES
from core.models import LeadStatus
from core.services.integrations import configure as integrations

KINDS = [
    ("webhook", "Signed webhook"),
    ("google_sheets", "Google Sheets"),
    ("notion", "Notion"),
    ("hubspot", "HubSpot"),
    ("pipedrive", "Pipedrive"),
]


def _can_manage(role) -> bool:
    return role is not None and role.value in ("owner", "admin")


def _config_from(form, kind: str) -> dict:
    if kind == "webhook":
        return {"url": form.get("url", "")}
    if kind == "google_sheets":
        return {
            "spreadsheet_id": form.get("spreadsheet_id", ""),
            "sheet_name": form.get("sheet_name", ""),
            "service_account": form.get("service_account", ""),
        }
    if kind in integrations.CRMS:
        return {"token": form.get("token", ""), "create_deals": form.get("create_deals") == "on"}
    return {"database_id": form.get("database_id", ""), "token": form.get("token", "")}


def _scoped(workspace_id: int, integration_id: int):
    # The URL's workspace must be the integration's, so a form cannot reach across workspaces.
    return integrations.get(integration_id, actor=console_actor(), workspace_id=workspace_id)


@bp.route("/w/<int:workspace_id>/integrations", methods=["GET", "POST"])
@login_required
def workspace_integrations(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    errors: dict[str, str] = {}
    created, secret = None, None
    kind = request.form.get("kind", "webhook")
    if request.method == "POST":
        try:
            created, secret = integrations.create(
                workspace_id,
                actor=console_actor(),
                kind=kind,
                name=request.form.get("name", ""),
                config=_config_from(request.form, kind),
                events=request.form.getlist("events"),
            )
        except (Invalid, Conflict) as exc:
            errors = {k.removeprefix("config."): v for k, v in (exc.fields or {"form": exc.message}).items()}
            errors.setdefault("form", exc.message)
        else:
            if secret is None:
                flash(gettext("Integration “%(name)s” added.", name=created.name), "success")
                return redirect(
                    url_for("web.integration_detail", workspace_id=workspace_id, integration_id=created.id), 303
                )
    items = integrations.page_for(workspace_id, actor=console_actor(), limit=200).items
    return render_template(
        "integrations/list.html",
        workspace=workspace,
        role=role,
        items=items,
        kinds=KINDS,
        kind_events=integrations.KIND_EVENTS,
        labels=integrations.KIND_LABELS,
        can_manage=_can_manage(role),
        errors=errors,
        form=request.form if errors else {},
        open_kind=kind if errors else None,
        created=created,
        signing_secret=secret,
        shown_config=lambda i: integrations.shown_config(i, console_actor()),
    ), (422 if errors else 200)


@bp.get("/w/<int:workspace_id>/integrations/<int:integration_id>")
@login_required
def integration_detail(workspace_id: int, integration_id: int):
    workspace, role = load_workspace(workspace_id)
    integration = _scoped(workspace_id, integration_id)
    status = request.args.get("status") or None
    event_type = request.args.get("event_type") or None
    try:
        page = integrations.deliveries_page(
            integration.id,
            actor=console_actor(),
            status=status,
            event_type=event_type,
            cursor=request.args.get("cursor"),
            limit=50,
        )
    except Invalid as exc:
        flash(render(exc.message), "error")
        return redirect(url_for("web.integration_detail", workspace_id=workspace_id, integration_id=integration_id))
    return render_template(
        "integrations/detail.html",
        workspace=workspace,
        role=role,
        integration=integration,
        page=page,
        status=status,
        event_type=event_type,
        statuses=["pending", "in_progress", "succeeded", "failed"],
        all_events=EVENT_TYPES,
        allowed_events=integrations.KIND_EVENTS[integration.kind],
        labels=integrations.KIND_LABELS,
        can_manage=_can_manage(role),
        shown_config=integrations.shown_config(integration, console_actor()),
        crm=integrations.pipelines_of(integration.id, actor=console_actor())
        if integration.kind in integrations.CRMS
        else None,
        statuses_to_map=[s.value for s in LeadStatus],
    )


def _back(workspace_id: int, integration_id: int):
    return redirect(url_for("web.integration_detail", workspace_id=workspace_id, integration_id=integration_id), 303)


@bp.post("/w/<int:workspace_id>/integrations/<int:integration_id>/settings")
@login_required
def integration_settings(workspace_id: int, integration_id: int):
    # A webhook's URL is edited here too (checked by the SSRF guard like a new one); other kinds keep theirs.
    url = request.form.get("url", "").strip()
    current = _scoped(workspace_id, integration_id)
    changed_url = current.kind == "webhook" and url and url != (current.config or {}).get("url")
    integrations.update(
        integration_id,
        actor=console_actor(),
        workspace_id=workspace_id,
        name=request.form.get("name", ""),
        events=request.form.getlist("events"),
        enabled=request.form.get("enabled") == "on",
        config={"url": url} if changed_url else None,
    )
    flash(gettext("Integration saved."), "success")
    return _back(workspace_id, integration_id)


@bp.post("/w/<int:workspace_id>/integrations/<int:integration_id>/mapping")
@login_required
def integration_mapping(workspace_id: int, integration_id: int):
    """A CRM's deals setting, pipeline and stage per lead status; saving checks the token and lists pipelines again."""
    integration = _scoped(workspace_id, integration_id)
    form = request.form
    config: dict = {"create_deals": form.get("create_deals") == "on"}
    if form.get("pipeline_id"):
        config["pipeline_id"] = form["pipeline_id"]
    # Stages only count for the pipeline they were listed under: a new pipeline starts from its defaults.
    if form.get("pipeline_id") == str(integration.config.get("pipeline_id")):
        config["stage_map"] = {s.value: form[f"stage_{s.value}"] for s in LeadStatus if form.get(f"stage_{s.value}")}
    if form.get("token"):
        config["token"] = form["token"]
    try:
        integrations.update(integration_id, actor=console_actor(), config=config)
    except Invalid as exc:
        # Each field's complaint in the reader's language (a plain join would keep the English).
        flash("; ".join(render(v) for v in (exc.fields or {}).values()) or render(exc.message), "error")
    else:
        flash(gettext("Credentials checked, pipelines listed again, mapping saved."), "success")
    return _back(workspace_id, integration_id)


@bp.post("/w/<int:workspace_id>/integrations/<int:integration_id>/test")
@login_required
def integration_test(workspace_id: int, integration_id: int):
    result = integrations.send_test(integration_id, actor=console_actor(), workspace_id=workspace_id)
    code = f" ({result['response_code']})" if result["response_code"] else ""
    flash(
        (gettext("Test succeeded") if result["ok"] else gettext("Test failed")) + f"{code}: {render(result['detail'])}",
        "success" if result["ok"] else "error",
    )
    return _back(workspace_id, integration_id)


@bp.post("/w/<int:workspace_id>/integrations/<int:integration_id>/delete")
@login_required
def integration_delete(workspace_id: int, integration_id: int):
    integrations.delete(integration_id, actor=console_actor(), workspace_id=workspace_id)
    flash(gettext("Integration removed."), "success")
    return redirect(url_for("web.workspace_integrations", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/integrations/<int:integration_id>/deliveries/<int:delivery_id>/replay")
@login_required
def integration_replay(workspace_id: int, integration_id: int, delivery_id: int):
    delivery = integrations.replay(
        delivery_id, actor=console_actor(), integration_id=integration_id, workspace_id=workspace_id
    )
    flash(gettext("Delivery %(id)s replayed: %(status)s.", id=delivery.id, status=delivery.status), "success")
    return _back(workspace_id, integration_id)
