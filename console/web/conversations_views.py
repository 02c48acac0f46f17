"""Inbox page: the conversations list with filters, one thread with the composer and its window, assign, done,
public reply and hide on comments. New items arrive by short polling (inbox.js asks /items every few seconds)."""

from __future__ import annotations

import secrets

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from console.api.conversations import ItemOut
from console.api.spec import dump
from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.errors import Invalid
from core.services.collection import cycle as collection
from core.services.conversations import messages, moderation, threads
from core.services.workspaces import lifecycle as workspaces
from core.validation import whole_number

FILTERS = ("all", *threads.FILTERS)


def _members(workspace_id: int) -> list:
    page = workspaces.members_page(workspace_id, actor=console_actor(), limit=200)
    return [m.user for m in page.items]


@bp.get("/w/<int:workspace_id>/inbox")
@login_required
def inbox(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    actor = console_actor()
    args = request.args
    chosen = args.get("filter") or "all"
    errors: dict[str, str] = {}
    try:
        account_id = whole_number(args.get("account"), "account")
    except Invalid:
        account_id, errors["account"] = None, _("Pick an account from the list.")
    page = threads.page_for(
        workspace_id,
        actor=actor,
        filter=None if chosen == "all" else chosen if chosen in FILTERS else None,
        account_id=account_id,
        q=args.get("q") or None,
        cursor=args.get("cursor") or None,
        limit=50,
    )
    selected_id = args.get("c", type=int)
    thread = threads.open_thread(selected_id, actor=actor, workspace_id=workspace_id) if selected_id else None
    return render_template(
        "conversations/inbox.html",
        workspace=workspace,
        role=role,
        page=page,
        people=threads.people_of(page.items),
        unread={c.id: threads.is_unread(c, actor.user_id) for c in page.items},
        accounts=[row.account for row in collection.overview(workspace_id, actor=actor)],
        filters=FILTERS,
        current={"filter": chosen, "account": args.get("account", ""), "q": args.get("q", "")},
        errors=errors,
        thread=thread,
        members=_members(workspace_id),
        send_key=secrets.token_urlsafe(18),
    )


@bp.get("/w/<int:workspace_id>/inbox/<int:conversation_id>/items")
@login_required
def inbox_items(workspace_id: int, conversation_id: int):
    """The thread as JSON for the page's short polling (the items and the state, nothing else)."""
    conversation = threads.get(conversation_id, actor=console_actor(), workspace_id=workspace_id)
    # The same item shape as the API's GET /conversations/<id>.
    return jsonify({"state": conversation.state, "items": [dump(ItemOut, i) for i in threads.items(conversation)]})


def _back(workspace_id: int, conversation_id: int):
    return redirect(url_for("web.inbox", workspace_id=workspace_id, c=conversation_id), 303)


@bp.post("/w/<int:workspace_id>/inbox/<int:conversation_id>/send")
@login_required
def inbox_send(workspace_id: int, conversation_id: int):
    threads.get(conversation_id, actor=console_actor(), workspace_id=workspace_id)
    # The form's one-time key: a double click or a resubmitted form sends one message.
    sent = messages.send(
        conversation_id,
        actor=console_actor(),
        text=request.form.get("text", ""),
        idempotency_key=request.form.get("idempotency_key") or None,
    )
    flash(_("Already sent.") if sent.replayed else _("Message queued; it is being sent."), "success")
    return _back(workspace_id, conversation_id)


@bp.post("/w/<int:workspace_id>/inbox/<int:conversation_id>/assign")
@login_required
def inbox_assign(workspace_id: int, conversation_id: int):
    threads.get(conversation_id, actor=console_actor(), workspace_id=workspace_id)
    assignee = whole_number(request.form.get("assignee_id"), "assignee_id")
    threads.set_state(conversation_id, actor=console_actor(), assignee_id=assignee)
    flash(_("Assigned.") if assignee else _("Unassigned."), "success")
    return _back(workspace_id, conversation_id)


@bp.post("/w/<int:workspace_id>/inbox/<int:conversation_id>/state")
@login_required
def inbox_state(workspace_id: int, conversation_id: int):
    threads.get(conversation_id, actor=console_actor(), workspace_id=workspace_id)
    state = request.form.get("state", "")
    threads.set_state(conversation_id, actor=console_actor(), state=state)
    flash(_("Marked done.") if state == "done" else _("Marked %(state)s.", state=state), "success")
    return _back(workspace_id, conversation_id)


@bp.post("/w/<int:workspace_id>/inbox/<int:conversation_id>/comments/<int:interaction_id>/<action>")
@login_required
def inbox_comment(workspace_id: int, conversation_id: int, interaction_id: int, action: str):
    conversation = threads.get(conversation_id, actor=console_actor(), workspace_id=workspace_id)
    if action == "reply":
        moderation.reply_in_public(
            interaction_id, actor=console_actor(), text=request.form.get("text", ""), workspace_id=workspace_id
        )
        flash(_("Replied in public."), "success")
    elif action in ("hide", "unhide"):
        moderation.set_hidden(interaction_id, actor=console_actor(), hidden=action == "hide", workspace_id=workspace_id)
        flash(_("Comment hidden.") if action == "hide" else _("Comment shown again."), "success")
    else:
        raise Invalid(_("Unknown action."), fields={"action": _("One of: %(choices)s", choices="reply, hide, unhide")})
    return _back(workspace_id, conversation.id)
