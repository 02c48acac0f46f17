"""Slack Web API calls (slack_sdk), pointed at SLACK_API_URL, and what each error means for us."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from core.errors import Unavailable
from core.i18n import _
from core.models import SlackInstallation

log = logging.getLogger(__name__)

# The token is dead or the app was removed: the installation is disabled.
TOKEN_GONE = {
    "account_inactive",
    "token_revoked",
    "invalid_auth",
    "not_authed",
    "team_access_not_granted",
    "app_uninstalled",
    "org_login_required",
}
# The channel is gone or the bot is not in it: the alerts channel is dropped.
CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"}
# Retried later.
RETRY = {"ratelimited", "rate_limited", "service_unavailable", "internal_error", "fatal_error", "request_timeout"}


@dataclass
class SlackFailure(Exception):
    """A Slack call failed; `kind` says whether to retry, drop the channel, or disable the installation."""

    code: str
    kind: str  # retry | channel_gone | token_gone | refused

    def __str__(self) -> str:
        return f"slack: {self.code}"


def client(token: str | None = None) -> WebClient:
    return WebClient(token=token, base_url=current_app.config["SLACK_API_URL"], timeout=10)


def for_installation(installation: SlackInstallation) -> WebClient:
    return client(installation.decrypted_token())


def classify(exc: Exception) -> SlackFailure:
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or exc.response.status_code)
        if code in TOKEN_GONE:
            return SlackFailure(code, "token_gone")
        if code in CHANNEL_GONE:
            return SlackFailure(code, "channel_gone")
        if code in RETRY or exc.response.status_code in (429, 500, 502, 503, 504):
            return SlackFailure(code, "retry")
        return SlackFailure(code, "refused")
    return SlackFailure(type(exc).__name__, "retry")


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: `<!channel>` or `<https://evil|Re-login>` in a name is shown, not obeyed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def call(web: WebClient, method: str, **kwargs):
    """Call a Web API method; SlackFailure on any error (never the token in the message).

    A message's `text` (the fallback of blocks, or the whole of an ephemeral answer) is escaped here, for
    every message we send: it quotes names and comments people chose, and Slack parses it as mrkdwn.
    """
    if isinstance(kwargs.get("text"), str):
        kwargs["text"] = escape(kwargs["text"])
    try:
        return getattr(web, method)(**kwargs)
    except (SlackApiError, SlackClientError, OSError) as exc:
        failure = classify(exc)
        log.warning("slack %s failed: %s", method, failure.code)
        raise failure from None


def redirect_uri() -> str:
    """Where Slack sends the installer back (must match the Slack app's redirect URL)."""
    return current_app.config["PUBLIC_URL"] + "/slack/oauth_redirect"


def exchange_code(code: str) -> dict:
    """oauth.v2.access: the installation's answer for an OAuth code (Unavailable when Slack refuses)."""
    config = current_app.config
    try:
        answer = call(
            client(),
            "oauth_v2_access",
            client_id=config["SLACK_CLIENT_ID"],
            client_secret=config["SLACK_CLIENT_SECRET"],
            code=code,
            redirect_uri=redirect_uri(),
        )
    except SlackFailure as failure:
        raise Unavailable(_("Slack refused the installation (%(code)s); try again.", code=failure.code)) from None
    return dict(answer.data) if isinstance(answer.data, dict) else {}
