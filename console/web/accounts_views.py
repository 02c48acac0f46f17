"""Accounts page: connect Instagram/TikTok, see status, set quota, pause, disconnect."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from console.web import bp
from console.web.session import console_actor
from console.web.workspace_views import load_workspace
from core.services.accounts import connect as social_connect
from core.services.accounts import connected as social_accounts
from vistaflow.web import remember_oauth_start


def _back(workspace_id: int):
    return redirect(url_for("web.workspace_accounts", workspace_id=workspace_id), 303)


@bp.get("/w/<int:workspace_id>/accounts")
@login_required
def workspace_accounts(workspace_id: int):
    workspace, role = load_workspace(workspace_id)
    accounts = social_accounts.page_for(workspace_id, actor=console_actor(), limit=200).items
    return render_template(
        "accounts/list.html",
        workspace=workspace,
        role=role,
        accounts=accounts,
        quota_of=social_accounts.effective_quota,
        can_manage=role is not None and role.value in ("owner", "admin"),
    )


@bp.post("/w/<int:workspace_id>/accounts/connect/<platform>")
@login_required
def connect_account(workspace_id: int, platform: str):
    authorization = social_connect.start_connect(workspace_id, platform, actor=console_actor(), browser_bound=True)
    remember_oauth_start(authorization.nonce)
    return redirect(authorization.url, 303)


@bp.post("/w/<int:workspace_id>/accounts/<int:account_id>/settings")
@login_required
def update_account(workspace_id: int, account_id: int):
    raw_quota = request.form.get("daily_dm_quota", "").strip()
    account = social_accounts.update(
        account_id,
        actor=console_actor(),
        workspace_id=workspace_id,
        daily_dm_quota=raw_quota or None,
        paused=request.form.get("paused") == "on",
    )
    flash(gettext("@%(username)s saved.", username=account.username), "success")
    return _back(workspace_id)


@bp.post("/w/<int:workspace_id>/accounts/<int:account_id>/disconnect")
@login_required
def disconnect_account(workspace_id: int, account_id: int):
    account = social_accounts.disconnect(account_id, actor=console_actor(), workspace_id=workspace_id)
    flash(gettext("@%(username)s disconnected; its history stays.", username=account.username), "success")
    return _back(workspace_id)
