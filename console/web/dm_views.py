"""DM console pages: approval queue with quota gauges, history, templates with live preview, sequences.

A refused action (Conflict, Forbidden, Invalid) is flashed by console.errors like everywhere else;
only the template form answers inline (422 with the fields marked).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from babel import Locale
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import login_required

from console.errors import flash_text
from console.i18n import current_locale, render
from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Invalid, NotFound
from core.i18n import _
from core.intent.language import LANGUAGES
from core.models import DmStatus
from core.services.accounts import connected as social_accounts
from core.services.outreach import approvals, dms, sequences, settings, templates
from core.services.outreach import composer as composer_service
from core.validation import whole_number, whole_numbers
from core.words import SEQUENCE_STATUS_NAMES


@bp.get("/w/<int:workspace_id>/dm")
@login_required
def dm_queue(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    return render_template(
        "dm/queue.html", workspace=workspace, role=role, queue=approvals.queue(workspace_id, actor=console_actor())
    )


@bp.post("/w/<int:workspace_id>/dm/<int:dm_id>/approve")
@login_required
def dm_approve(workspace_id: int, dm_id: int):
    # The URL's workspace must be the DM's, so a form cannot reach across workspaces.
    dms.approve(dm_id, actor=console_actor(), text=request.form.get("text"), workspace_id=workspace_id)
    flash(gettext("DM approved; it is being sent."), "success")
    return redirect(url_for("web.dm_queue", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/dm/<int:dm_id>/skip")
@login_required
def dm_skip(workspace_id: int, dm_id: int):
    dms.skip(dm_id, actor=console_actor(), workspace_id=workspace_id)
    flash(gettext("DM skipped."), "success")
    return redirect(url_for("web.dm_queue", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/dm/bulk-approve")
@login_required
def dm_bulk_approve(workspace_id: int):
    ids = whole_numbers(request.form.getlist("dm_ids"), "dm_ids")
    result = dms.bulk_approve(workspace_id, ids, actor=console_actor())
    if result.approved:
        flash(ngettext("%(num)d DM approved.", "%(num)d DMs approved.", len(result.approved)), "success")
    if result.refused:
        reasons = "; ".join(sorted(set(render(list(result.refused.values())))))
        flash(
            ngettext(
                "%(num)d not approved: %(reasons)s",
                "%(num)d not approved: %(reasons)s",
                len(result.refused),
                reasons=reasons,
            ),
            "error",
        )
    return redirect(url_for("web.dm_queue", workspace_id=workspace_id), 303)


@bp.get("/w/<int:workspace_id>/dm/history")
@login_required
def dm_history(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    args = request.args
    try:
        page = dms.page_for(
            workspace_id,
            actor=console_actor(),
            status=args.get("status") or None,
            account_id=args.get("account", type=int),
            target_id=args.get("target", type=int),
            person=args.get("person") or None,
            cursor=args.get("cursor") or None,
            limit=50,
        )
    except Invalid as exc:
        # A bad filter from a link: back to the unfiltered history (the referrer may be this very link).
        flash(flash_text(exc), "error")
        return redirect(url_for("web.dm_history", workspace_id=workspace_id), 303)
    accounts = social_accounts.page_for(workspace_id, actor=console_actor(), limit=200).items
    return render_template(
        "dm/history.html",
        workspace=workspace,
        role=role,
        page=page,
        targets=dms.people_of(page.items),
        replies=dms.replies_to(page.items),
        accounts=accounts,
        statuses=[s.value for s in DmStatus],
        args=args,
    )


def language_choices() -> list[tuple[str, str]]:
    """(code, name) of the languages people and templates can have, named in the reader's language."""
    reader = current_locale()
    return [(code, Locale.parse(code).get_language_name(reader).capitalize()) for code in LANGUAGES]


@bp.route("/w/<int:workspace_id>/dm/templates", methods=["GET", "POST"])
@login_required
def dm_templates(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    errors: dict[str, str] = {}
    editing = request.args.get("edit", type=int)
    if request.method == "POST":
        form = request.form
        template_id = whole_number(form.get("template_id"), "template_id")  # a hidden field: garbage is no typo
        try:
            if template_id is not None:
                templates.update(
                    template_id,
                    actor=console_actor(),
                    name=form.get("name", ""),
                    body=form.get("body", ""),
                    language=form.get("language") or None,
                    workspace_id=workspace_id,
                )
            else:
                templates.create(
                    workspace_id,
                    actor=console_actor(),
                    name=form.get("name", ""),
                    body=form.get("body", ""),
                    language=form.get("language") or None,
                )
        except Invalid as exc:
            errors = exc.fields or {"body": exc.message}
        else:
            flash(gettext("Template saved."), "success")
            return redirect(url_for("web.dm_templates", workspace_id=workspace_id), 303)
    items = templates.page_for(workspace_id, actor=console_actor(), limit=200).items
    current = next((t for t in items if t.id == editing), None)
    return render_template(
        "dm/templates.html",
        workspace=workspace,
        role=role,
        items=items,
        current=current,
        errors=errors,
        form=request.form if errors else None,
        values=templates.sample_values(workspace_id, actor=console_actor()),
        variables=templates.VARIABLES,
        max_text=templates.MAX_TEXT,
        dm_settings=settings.read(workspace_id, actor=console_actor()),
        languages=language_choices(),
    ), (422 if errors else 200)


@bp.post("/w/<int:workspace_id>/dm/templates/<int:template_id>/delete")
@login_required
def dm_template_delete(workspace_id: int, template_id: int):
    templates.delete(template_id, actor=console_actor(), workspace_id=workspace_id)
    flash(gettext("Template deleted."), "success")
    return redirect(url_for("web.dm_templates", workspace_id=workspace_id), 303)


@bp.post("/w/<int:workspace_id>/dm/settings")
@login_required
def dm_settings(workspace_id: int):
    form = request.form
    settings.update(
        workspace_id,
        actor=console_actor(),
        default_template_id=whole_number(form.get("default_template_id"), "default_template_id"),
        language_templates={
            language: whole_number(form.get(f"language_template_{language}"), f"language_template_{language}")
            for language in LANGUAGES
            if f"language_template_{language}" in form
        },
        min_gap_seconds=form.get("dm_min_gap_seconds", type=int),
        jitter_seconds=form.get("dm_gap_jitter_seconds", type=int),
    )
    flash(gettext("DM settings saved."), "success")
    return redirect(url_for("web.dm_templates", workspace_id=workspace_id), 303)


@bp.route("/w/<int:workspace_id>/dm/sequences", methods=["GET", "POST"])
@login_required
def dm_sequences(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    if request.method == "POST":
        form = request.form
        steps = [
            {"template_id": template_id, "delay_hours": whole_number(form.get(f"delay_{n}"), f"delay_{n}") or 0}
            for n in range(1, 4)
            if (template_id := whole_number(form.get(f"template_{n}"), f"template_{n}")) is not None
        ]
        sequences.create(workspace_id, actor=console_actor(), name=form.get("name", ""), steps=steps)
        flash(gettext("Sequence created."), "success")
        return redirect(url_for("web.dm_sequences", workspace_id=workspace_id), 303)
    page, rows = sequences.enrollment_rows(
        workspace_id, actor=console_actor(), cursor=request.args.get("cursor"), limit=50
    )
    return render_template(
        "dm/sequences.html",
        workspace=workspace,
        role=role,
        rows=[(r.enrollment, r.sequence, r.steps, r.target) for r in rows],
        sequences=sequences.page_for(workspace_id, actor=console_actor(), limit=200).items,
        page=page,
        template_names=templates.names(workspace_id, actor=console_actor()),
    )


@bp.post("/w/<int:workspace_id>/dm/enrollments/<int:enrollment_id>/<action>")
@login_required
def dm_enrollment_action(workspace_id: int, enrollment_id: int, action: str):
    change = {"pause": sequences.pause, "resume": sequences.resume, "cancel": sequences.cancel}.get(action)
    if change is None:
        raise NotFound(_("Not found."))
    enrollment = change(enrollment_id, actor=console_actor(), workspace_id=workspace_id)
    flash(
        gettext(
            "Enrolment %(status)s.", status=render(SEQUENCE_STATUS_NAMES.get(enrollment.status, enrollment.status))
        ),
        "success",
    )
    return redirect(url_for("web.dm_sequences", workspace_id=workspace_id), 303)


@dataclass
class ComposeState:
    """What the composer's form shows: the chosen route and template, the text, errors, where to go back."""

    route: str | None
    template_id: int | None
    text: str
    next: str
    form: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def compose_state(composer: composer_service.Composer, next_url: str, form=None, errors=None) -> ComposeState:
    """The composer's initial state (the default template filled for the most urgent route), or the posted one."""
    if form is None:
        route = composer.routes[0].key if composer.routes else None
        template_id = composer.default_template_id
        return ComposeState(route, template_id, composer.text_for(template_id, route), next_url)
    return ComposeState(
        form.get("route") or None,
        form.get("template_id", type=int),
        form.get("text", ""),
        next_url,
        dict(form),
        errors or {},
    )
