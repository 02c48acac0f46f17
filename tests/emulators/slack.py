"""A local Slack Web API for tests: oauth.v2.access, chat.postMessage/update/postEphemeral, users.info,
conversations.list, with bot tokens checked and chat failures (channel gone, token revoked) on demand.

Point the app at it with SLACK_API_URL = emulator.api_url. Answers are Slack's {"ok": ..., "error": ...}.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.emulators.server import EmulatorServer, Reply, Request


@dataclass
class SlackUser:
    id: str
    email: str | None
    email_confirmed: bool = True
    is_bot: bool = False


@dataclass
class Team:
    id: str
    name: str
    channels: dict[str, str] = field(default_factory=dict)  # id -> name


class SlackEmulator(EmulatorServer):
    def __init__(self, client_id: str = "123.456", client_secret: str = "slack-client-secret") -> None:
        self.views: list[dict[str, Any]] = []  # modals opened with views.open
        self.used_triggers: set[str] = set()
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.codes: dict[str, Team] = {}  # OAuth code -> team it installs into
        self.tokens: dict[str, Team] = {}  # bot token -> team
        self.revoked: set[str] = set()
        self.gone_channels: set[str] = set()
        self.users: dict[str, SlackUser] = {}
        self._ts = itertools.count(1)

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def config(self) -> dict[str, str]:
        return {
            "SLACK_API_URL": self.api_url,
            "SLACK_CLIENT_ID": self.client_id,
            "SLACK_CLIENT_SECRET": self.client_secret,
            "SLACK_AUTHORIZE_URL": self.url + "/oauth/v2/authorize",
        }

    # ------------------------------------------------------------ test set-up

    def team(self, team_id: str = "T0001", name: str = "Acme Slack", channels: dict[str, str] | None = None) -> Team:
        return Team(team_id, name, channels or {"C0ALERTS": "vistaflow-alerts", "C0GENERAL": "general"})

    def authorize(self, team: Team) -> str:
        """The code Slack would hand back to the redirect after the person clicks Allow."""
        code = "code-" + secrets.token_hex(6)
        self.codes[code] = team
        return code

    def issue_token(self, team: Team) -> str:
        token = "xoxb-" + secrets.token_hex(12)
        self.tokens[token] = team
        return token

    def add_user(self, user_id: str, email: str | None, *, confirmed: bool = True) -> SlackUser:
        self.users[user_id] = SlackUser(user_id, email, confirmed)
        return self.users[user_id]

    # ------------------------------------------------------------ what the app sent

    def params(self, method: str) -> list[dict[str, Any]]:
        return [self._params(r) for r in self.calls(path_contains=f"/api/{method}")]

    def posts(self) -> list[dict[str, Any]]:
        return self.params("chat.postMessage")

    def updates(self) -> list[dict[str, Any]]:
        return self.params("chat.update")

    def ephemerals(self) -> list[dict[str, Any]]:
        return self.params("chat.postEphemeral")

    # ------------------------------------------------------------ wire

    @staticmethod
    def _params(request: Request) -> dict[str, Any]:
        values: dict[str, Any] = dict(request.query)
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            values.update(request.json or {})
        elif request.body:
            values.update({k: v[-1] for k, v in parse_qs(request.body.decode()).items()})
        if isinstance(values.get("blocks"), str):
            values["blocks"] = json.loads(values["blocks"])
        return values

    def _team_of(self, request: Request) -> Team | str:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token in self.revoked:
            return "token_revoked"
        return self.tokens.get(token) or "invalid_auth"

    def handle(self, request: Request) -> Reply:
        method = request.path.removeprefix("/api/")
        params = self._params(request)
        if method == "oauth.v2.access":
            return self._oauth(request, params)
        team = self._team_of(request)
        if isinstance(team, str):
            return Reply(200, {"ok": False, "error": team})
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            channel = params.get("channel", "")
            if channel in self.gone_channels:
                return Reply(200, {"ok": False, "error": "channel_not_found"})
            if not params.get("text") and not params.get("blocks"):
                return Reply(200, {"ok": False, "error": "no_text"})
            if method == "chat.update":
                return Reply(200, {"ok": True, "channel": channel, "ts": params.get("ts")})
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            key = "message_ts" if method == "chat.postEphemeral" else "ts"
            return Reply(200, {"ok": True, "channel": channel, key: ts})
        if method == "views.open":
            return self._views_open(params)
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            if user is None:
                return Reply(200, {"ok": False, "error": "user_not_found"})
            return Reply(
                200,
                {
                    "ok": True,
                    "user": {
                        "id": user.id,
                        "deleted": False,
                        "is_bot": user.is_bot,
                        "is_email_confirmed": user.email_confirmed,
                        "profile": {"email": user.email} if user.email else {},
                    },
                },
            )
        if method == "conversations.list":
            return Reply(
                200,
                {
                    "ok": True,
                    "channels": [{"id": c, "name": n} for c, n in team.channels.items()],
                    "response_metadata": {"next_cursor": ""},
                },
            )
        return Reply(200, {"ok": False, "error": "unknown_method"})

    def _views_open(self, params: dict[str, Any]) -> Reply:
        """views.open as documented: a trigger_id used once, within 3 s; a modal with a title of 24 characters."""
        trigger = params.get("trigger_id") or ""
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not trigger or trigger in self.used_triggers or trigger.startswith("expired"):
            return Reply(200, {"ok": False, "error": "expired_trigger_id"})
        if not isinstance(view, dict) or view.get("type") != "modal" or not view.get("blocks"):
            return Reply(200, {"ok": False, "error": "invalid_arguments"})
        for part in ("title", "submit", "close"):
            if len((view.get(part) or {}).get("text", "")) > 24:
                return Reply(
                    200,
                    {
                        "ok": False,
                        "error": "invalid_arguments",
                        "response_metadata": {
                            "messages": [f"[ERROR] must be less than 25 characters [json-pointer:/view/{part}/text]"]
                        },
                    },
                )
        self.used_triggers.add(trigger)
        opened = {**view, "id": f"V{next(self._ts):08d}", "hash": f"{int(time.time())}.abc", "state": {"values": {}}}
        self.views.append(opened)
        return Reply(200, {"ok": True, "view": opened})

    def _oauth(self, request: Request, params: dict[str, Any]) -> Reply:
        import base64

        auth = request.headers.get("authorization", "")
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return Reply(200, {"ok": False, "error": "invalid_client"})
        team = self.codes.pop(params.get("code", ""), None)
        if team is None:
            return Reply(200, {"ok": False, "error": "invalid_code"})
        token = self.issue_token(team)
        return Reply(
            200,
            {
                "ok": True,
                "access_token": token,
                "token_type": "bot",
                "bot_user_id": "UBOT0001",
                "app_id": "A0001",
                "scope": "chat:write,commands,users:read,users:read.email",
                # An organisation-wide (Enterprise Grid) install answers without a team: a Team with id "".
                "team": {"id": team.id, "name": team.name} if team.id else None,
                "enterprise": None,
            },
        )
