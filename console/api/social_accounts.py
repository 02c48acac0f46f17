"""/social-accounts: OAuth connect (Instagram, TikTok), listing, quota/pause, disconnect."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext
from pydantic import ConfigDict, Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from console.i18n import render
from core.errors import VistaFlowError
from core.models import SocialAccount
from core.services.accounts import connect as social_connect
from core.services.accounts import connected as social_accounts
from core.services.accounts.oauth_states import StateInvalid
from vistaflow.web import callback_browser

log = logging.getLogger(__name__)

bp = Blueprint("social_accounts", __name__, url_prefix="/social-accounts")


class AuthUrlQuery(In):
    workspace_id: int = Field(alias="workspaceId", description="The workspace to connect the account to.")


class AuthUrlOut(Out):
    url: str


class CallbackQuery(In):
    # The platform chooses the parameters it adds (e.g. TikTok's `scopes`); ignore what we do not use.
    model_config = ConfigDict(extra="ignore")

    code: str | None = None
    state: str | None = None
    error: str | None = None
    error_reason: str | None = None
    error_description: str | None = None


class SocialAccountOut(Out):
    id: int
    workspace_id: int
    platform: str
    username: str
    account_type: str | None
    status: str
    status_reason: str | None
    token_expires_at: datetime | None
    daily_dm_quota: int
    daily_dm_quota_is_default: bool
    paused: bool
    last_collected_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, account: SocialAccount) -> SocialAccountOut:
        """The public shape of an account: no token field, ever."""
        return cls(
            id=account.id,
            workspace_id=account.workspace_id,
            platform=account.platform,
            username=account.username,
            account_type=account.account_type,
            status=account.status,
            status_reason=account.status_reason,
            token_expires_at=account.access_token_expires_at,
            daily_dm_quota=social_accounts.effective_quota(account),
            daily_dm_quota_is_default=account.daily_dm_quota is None,
            paused=account.paused,
            last_collected_at=account.last_collected_at,
            created_at=account.created_at,
        )


class SocialAccountPatch(In):
    daily_dm_quota: int | None = Field(None, description="1-1000; null goes back to the workspace default.")
    paused: bool | None = None


def _auth_url(platform: str, query: AuthUrlQuery) -> dict[str, str]:
    # An API client has no browser session: the callback then needs the same user signed in to the console.
    authorization = social_connect.start_connect(
        query.workspace_id, platform, actor=current_actor(), browser_bound=False
    )
    return {"url": authorization.url}


def _callback(platform: str, query: CallbackQuery):
    """A browser arrives here from the platform: answer with a redirect or an HTML page, never JSON.

    Responses (not tuples) go back, so the `operation` wrapper passes them through untouched.
    """
    try:
        account = social_connect.complete_connect(
            platform,
            state=query.state,
            browser=callback_browser(),
            code=query.code,
            error=query.error,
            error_reason=query.error_reason,
            error_description=query.error_description,
        )
    except StateInvalid as exc:
        return make_response(render_template("accounts/connect_error.html", message=exc.message), exc.status)
    except social_connect.ConnectFailed as exc:
        flash(render(exc.message), "error")
        if exc.workspace_id is None:
            return redirect(url_for("web.home"), 303)
        return redirect(url_for("web.workspace_accounts", workspace_id=exc.workspace_id), 303)
    except VistaFlowError as exc:
        return make_response(render_template("accounts/connect_error.html", message=exc.message), exc.status)
    label = social_connect.LABELS[social_connect.parse_platform(platform)]
    flash(gettext("%(label)s account @%(username)s connected.", label=label, username=account.username), "success")
    return redirect(url_for("web.workspace_accounts", workspace_id=account.workspace_id), 303)


@operation(
    bp,
    "GET",
    "/instagram/auth-url",
    summary="Instagram authorize URL with a single-use state (owner/admin)",
    query=AuthUrlQuery,
    response=AuthUrlOut,
    errors=(403, 404, 503),
)
def instagram_auth_url(query: AuthUrlQuery):
    return _auth_url("instagram", query)


@operation(
    bp,
    "GET",
    "/instagram/callback",
    summary="Instagram OAuth callback (browser redirect to the console)",
    query=CallbackQuery,
    auth=False,
    status=303,
    content_type="text/html",
)
def instagram_callback(query: CallbackQuery):
    return _callback("instagram", query)


@operation(
    bp,
    "GET",
    "/tiktok/auth-url",
    summary="TikTok authorize URL with a single-use state (owner/admin)",
    query=AuthUrlQuery,
    response=AuthUrlOut,
    errors=(403, 404, 503),
)
def tiktok_auth_url(query: AuthUrlQuery):
    return _auth_url("tiktok", query)


@operation(
    bp,
    "GET",
    "/tiktok/callback",
    summary="TikTok OAuth callback (browser redirect to the console)",
    query=CallbackQuery,
    auth=False,
    status=303,
    content_type="text/html",
)
def tiktok_callback(query: CallbackQuery):
    return _callback("tiktok", query)


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>",
    summary="The workspace's social accounts",
    query=PageQuery,
    response=PageOut[SocialAccountOut],
)
def list_accounts(workspace_id: int, query: PageQuery):
    page = social_accounts.page_for(workspace_id, actor=current_actor(), cursor=query.cursor, limit=query.limit)
    return page.map(SocialAccountOut.of)


@operation(
    bp,
    "PATCH",
    "/<int:account_id>",
    summary="Set the daily DM quota or pause (owner/admin)",
    body=SocialAccountPatch,
    response=SocialAccountOut,
    errors=(403,),
)
def update_account(account_id: int, body: SocialAccountPatch):
    changes: dict[str, Any] = {}
    if "daily_dm_quota" in body.model_fields_set:
        changes["daily_dm_quota"] = body.daily_dm_quota
    account = social_accounts.update(account_id, actor=current_actor(), paused=body.paused, **changes)
    return SocialAccountOut.of(account)


@operation(
    bp,
    "DELETE",
    "/<int:account_id>",
    summary="Disconnect: drop the tokens, keep the history (owner/admin)",
    status=204,
    errors=(403,),
)
def disconnect_account(account_id: int):
    social_accounts.disconnect(account_id, actor=current_actor())
    return None, 204
