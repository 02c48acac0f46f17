"""A local Instagram (API with Instagram Login) for tests: OAuth, Graph reads, the messages endpoint.

It speaks Meta's wire format (see core/platforms/instagram.py) and enforces the messaging rules: one
private reply per comment, within 7 days of the comment; a message only within 24 h of the person's
last inbound message. Tests drive its state directly (add_account, add_media, add_comment...) and
inject faults (fail_next, rate_limit_next, error_next, delay_next).
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tests.emulators.server import EmulatorServer, Reply, Request

LONG_LIVED_SECONDS = 60 * 24 * 3600
SHORT_LIVED_SECONDS = 3600
PERMISSIONS = "instagram_business_basic,instagram_business_manage_comments,instagram_business_manage_messages"


@dataclass
class Account:
    id: str
    username: str
    account_type: str
    name: str | None
    app_scoped_id: str


@dataclass
class Token:
    ig_user_id: str
    long_lived: bool
    issued_at: datetime
    expires_at: datetime


@dataclass
class MediaItem:
    id: str
    owner_id: str
    owner_username: str
    caption: str
    timestamp: datetime
    media_type: str
    tagged: list[str] = field(default_factory=list)


@dataclass
class CommentItem:
    id: str
    media_id: str
    text: str
    username: str
    user_id: str
    timestamp: datetime
    parent_id: str | None
    hidden: bool = False


def ig_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def graph_error(
    message: str, code: int, subcode: int | None = None, status: int = 400, kind: str = "OAuthException"
) -> Reply:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_hex(6)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Reply(status, {"error": error})


class InstagramEmulator(EmulatorServer):
    def __init__(
        self,
        *,
        client_id: str = "ig-client-id",
        client_secret: str = "ig-client-secret",
        api_version: str = "v23.0",
        page_size: int = 25,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_version = api_version
        self.page_size = page_size
        self.clock = lambda: datetime.now(UTC)
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, tuple[str, str | None]] = {}  # code -> (ig user id, redirect_uri)
        self.media: dict[str, MediaItem] = {}
        self.comments: dict[str, CommentItem] = {}
        self.inbound: list[dict] = []
        self.people: dict[str, dict] = {}  # igsid -> {"username", "name"} for the User Profile API
        self.profile_lookups: list[str] = []
        self.public_replies: list[dict] = []
        self.hide_calls: list[tuple[str, bool]] = []
        self.deleted_comments: list[str] = []
        self.unavailable: set[str] = set()  # people who blocked the account: sends answer 551
        self.human_agent_granted = False
        self.sent_messages: list[dict] = []
        self.private_replied: set[str] = set()
        self.consenting_account: str | None = None
        self.flat_token_answer = False  # the older {"access_token","user_id"} shape of /oauth/access_token
        self.app_usage = {"call_count": 1, "total_cputime": 1, "total_time": 1}
        self.buc_usage: dict[str, Any] | None = None
        self._ids = itertools.count(17841400000000001)

    # -------------------------------------------------------------- addresses

    @property
    def api_url(self) -> str:
        return self.url

    @property
    def oauth_url(self) -> str:
        return self.url

    @property
    def authorize_url(self) -> str:
        return self.url + "/oauth/authorize"

    def config(self) -> dict[str, str]:
        """App config keys pointing the app at this emulator."""
        return {
            "INSTAGRAM_OAUTH_URL": self.oauth_url,
            "INSTAGRAM_AUTHORIZE_URL": self.authorize_url,
            "INSTAGRAM_API_URL": self.api_url,
            "INSTAGRAM_API_VERSION": self.api_version,
            "INSTAGRAM_CLIENT_ID": self.client_id,
            "INSTAGRAM_CLIENT_SECRET": self.client_secret,
        }

    # -------------------------------------------------------------- state a test drives

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_account(
        self,
        username: str = "acme",
        account_type: str = "BUSINESS",
        name: str | None = None,
        ig_user_id: str | None = None,
    ) -> str:
        with self.lock:
            account = Account(ig_user_id or self.new_id(), username, account_type, name, self.new_id())
            self.accounts[account.id] = account
            return account.id

    def issue_code(self, ig_user_id: str, redirect_uri: str | None = None) -> str:
        code = "AQ" + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = (ig_user_id, redirect_uri)
        return code

    def issue_token(
        self,
        ig_user_id: str,
        *,
        long_lived: bool = True,
        issued_at: datetime | None = None,
        expires_in: int | None = None,
    ) -> str:
        issued = issued_at or self.clock()
        lifetime = expires_in if expires_in is not None else (LONG_LIVED_SECONDS if long_lived else SHORT_LIVED_SECONDS)
        token = ("IGAA" if long_lived else "IGQ") + secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = Token(ig_user_id, long_lived, issued, issued + timedelta(seconds=lifetime))
        return token

    def expire_token(self, token: str) -> None:
        with self.lock:
            self.tokens[token].expires_at = self.clock() - timedelta(seconds=1)

    def add_media(
        self, ig_user_id: str, caption: str = "", timestamp: datetime | None = None, media_type: str = "IMAGE"
    ) -> str:
        with self.lock:
            owner = self.accounts[ig_user_id]
            item = MediaItem(self.new_id(), owner.id, owner.username, caption, timestamp or self.clock(), media_type)
            self.media[item.id] = item
            return item.id

    def add_comment(
        self,
        media_id: str,
        text: str,
        username: str,
        user_id: str,
        timestamp: datetime | None = None,
        parent_id: str | None = None,
        hidden: bool = False,
    ) -> str:
        with self.lock:
            assert media_id in self.media, "unknown media"
            item = CommentItem(
                self.new_id(), media_id, text, username, str(user_id), timestamp or self.clock(), parent_id, hidden
            )
            self.comments[item.id] = item
            return item.id

    def add_mention(self, ig_user_id: str, caption: str, username: str, timestamp: datetime | None = None) -> str:
        """Someone else's media that tags / @mentions the account."""
        with self.lock:
            item = MediaItem(self.new_id(), "other", username, caption, timestamp or self.clock(), "IMAGE")
            item.tagged.append(ig_user_id)
            self.media[item.id] = item
            return item.id

    def add_inbound_message(
        self,
        ig_user_id: str,
        from_user_id: str,
        text: str = "hi",
        timestamp: datetime | None = None,
        username: str | None = None,
    ) -> str:
        """A DM from a person to the account; it opens the 24 h messaging window."""
        with self.lock:
            message = {
                "id": "aWdf" + secrets.token_urlsafe(12),
                "to": ig_user_id,
                "from": str(from_user_id),
                "username": username,
                "text": text,
                "timestamp": timestamp or self.clock(),
            }
            self.inbound.append(message)
            if username:
                self.people.setdefault(str(from_user_id), {"username": username, "name": None})
            return message["id"]

    def add_person(self, igsid: str, username: str, name: str | None = None) -> None:
        """Someone the User Profile API knows (it answers only once they messaged an account)."""
        with self.lock:
            self.people[str(igsid)] = {"username": username, "name": name}

    def set_usage(self, percent: float, *, regain_minutes: int = 0, business_use_case: bool = True) -> None:
        """Usage headers on every answer: X-App-Usage, and X-Business-Use-Case-Usage when asked."""
        with self.lock:
            self.app_usage = {"call_count": percent, "total_cputime": max(1, percent // 2), "total_time": percent}
            self.buc_usage = (
                {
                    "type": "instagram",
                    "call_count": percent,
                    "total_cputime": max(1, percent // 2),
                    "total_time": percent,
                    "estimated_time_to_regain_access": regain_minutes,
                }
                if business_use_case
                else None
            )

    # -------------------------------------------------------------- faults

    def fail_next(self, count: int = 1, status: int = 500, **match: Any) -> None:
        reply = graph_error("An unexpected error has occurred. Please retry your request later.", 2, status=status)
        self.add_fault(reply, count=count, **match)

    def rate_limit_next(
        self, *, code: int | None = None, retry_after: int | None = None, regain_minutes: int | None = None, **match
    ) -> None:
        """HTTP 429 (code None) or a Graph throttling error (code 4, 17, 32, 613)."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if regain_minutes is not None:
            usage = {"type": "instagram", "call_count": 100, "total_cputime": 40, "total_time": 100}
            usage["estimated_time_to_regain_access"] = regain_minutes
            headers["X-Business-Use-Case-Usage"] = json.dumps({"0": [usage]})
            headers["X-App-Usage"] = json.dumps({"call_count": 100, "total_cputime": 40, "total_time": 100})
        if code is None:
            reply = graph_error("Too many requests", 4, status=429)
        else:
            reply = graph_error("Application request limit reached", code, status=400)
        reply.headers.update(headers)
        self.add_fault(reply, count=match.pop("count", 1), **match)

    def error_next(self, code: int, subcode: int | None = None, message: str = "error", status: int = 400, **match):
        self.add_fault(graph_error(message, code, subcode, status), count=match.pop("count", 1), **match)

    def delay_next(self, seconds: float, count: int = 1, **match: Any) -> None:
        self.add_fault(None, count=count, delay=seconds, **match)

    def decorate(self, reply: Reply) -> Reply:
        headers = {"X-App-Usage": json.dumps(self.app_usage)}
        if self.buc_usage is not None:
            headers["X-Business-Use-Case-Usage"] = json.dumps({next(iter(self.accounts), "0"): [self.buc_usage]})
        reply.headers = {**headers, **reply.headers}
        return reply

    # -------------------------------------------------------------- routing

    def handle(self, request: Request) -> Reply:
        from tests.emulators import instagram_routes

        return instagram_routes.route(self, request)

    def paginate(self, request: Request, items: list[dict]) -> dict:
        limit = max(1, min(int(request.query.get("limit") or 25), self.page_size))
        start = _decode_cursor(request.query.get("after")) if request.query.get("after") else 0
        chunk = items[start : start + limit]
        body: dict[str, Any] = {"data": chunk}
        if items:
            after = _encode_cursor(start + len(chunk))
            body["paging"] = {"cursors": {"before": _encode_cursor(start), "after": after}}
            if start + limit < len(items):
                body["paging"]["next"] = f"{self.url}{request.path}?{urlencode({**request.query, 'after': after})}"
        return body


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().split(":", 1)[1])
