"""A local TikTok API for Business (TikTok accounts) for tests: OAuth with rotating refresh tokens,
business/get, video/list, comment/list and comment/reply/list with cursor/has_more, error codes, faults.

Answers are {"code", "message", "request_id", "data"} with HTTP 200, errors included, like the real API.
"""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tests.emulators.server import EmulatorServer, Reply, Request

BASE = "/open_api/v1.3/"
ACCESS_SECONDS = 86400
REFRESH_SECONDS = 365 * 86400
SCOPE = "user.info.basic,user.info.username,video.list,comment.list"


@dataclass
class TikTokAccount:
    open_id: str
    username: str
    display_name: str
    is_business: bool


@dataclass
class TikTokToken:
    open_id: str
    expires_at: datetime


@dataclass
class Video:
    item_id: str
    open_id: str
    caption: str
    create_time: datetime


@dataclass
class TikTokCommentItem:
    comment_id: str
    video_id: str
    text: str
    username: str
    user_id: str
    create_time: datetime
    parent_id: str | None
    hidden: bool = False


def tiktok_answer(data: dict | None = None, code: int = 0, message: str = "OK", status: int = 200) -> Reply:
    body = {"code": code, "message": message, "request_id": secrets.token_hex(12), "data": data or {}}
    return Reply(status, body)


class TikTokEmulator(EmulatorServer):
    def __init__(
        self, *, client_key: str = "tt-client-key", client_secret: str = "tt-client-secret", page_size: int = 20
    ) -> None:
        super().__init__()
        self.client_key = client_key
        self.client_secret = client_secret
        self.page_size = page_size
        self.clock = lambda: datetime.now(UTC)
        self.accounts: dict[str, TikTokAccount] = {}
        self.codes: dict[str, tuple[str, str | None]] = {}
        self.access_tokens: dict[str, TikTokToken] = {}
        self.refresh_tokens: dict[str, TikTokToken] = {}
        self.videos: dict[str, Video] = {}
        self.comments: dict[str, TikTokCommentItem] = {}
        self.consenting_account: str | None = None
        self._ids = itertools.count(7300000000000000001)

    @property
    def api_url(self) -> str:
        return self.url + BASE.rstrip("/")

    @property
    def authorize_url(self) -> str:
        return self.url + "/v2/auth/authorize/"

    def config(self) -> dict[str, str]:
        return {
            "TIKTOK_OAUTH_URL": self.authorize_url,
            "TIKTOK_API_URL": self.api_url,
            "TIKTOK_CLIENT_KEY": self.client_key,
            "TIKTOK_CLIENT_SECRET": self.client_secret,
        }

    # -------------------------------------------------------------- state a test drives

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_account(self, username: str = "acme", display_name: str = "Acme", is_business: bool = True) -> str:
        with self.lock:
            open_id = "-000" + secrets.token_hex(12)
            self.accounts[open_id] = TikTokAccount(open_id, username, display_name, is_business)
            return open_id

    def issue_code(self, open_id: str, redirect_uri: str | None = None) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = (open_id, redirect_uri)
        return code

    def issue_token(self, open_id: str, expires_in: int = ACCESS_SECONDS) -> str:
        token = "act." + secrets.token_urlsafe(32)
        with self.lock:
            self.access_tokens[token] = TikTokToken(open_id, self.clock() + timedelta(seconds=expires_in))
        return token

    def expire_token(self, token: str) -> None:
        with self.lock:
            self.access_tokens[token].expires_at = self.clock() - timedelta(seconds=1)

    def add_video(self, open_id: str, caption: str = "", create_time: datetime | None = None) -> str:
        with self.lock:
            video = Video(self.new_id(), open_id, caption, create_time or self.clock())
            self.videos[video.item_id] = video
            return video.item_id

    def add_comment(
        self,
        video_id: str,
        text: str,
        username: str,
        user_id: str,
        timestamp: datetime | None = None,
        parent_id: str | None = None,
        hidden: bool = False,
    ) -> str:
        with self.lock:
            item = TikTokCommentItem(
                self.new_id(), video_id, text, username, str(user_id), timestamp or self.clock(), parent_id, hidden
            )
            self.comments[item.comment_id] = item
            return item.comment_id

    # -------------------------------------------------------------- faults

    def fail_next(self, count: int = 1, status: int = 500, **match: Any) -> None:
        self.add_fault(Reply(status, {"code": 50000, "message": "System error", "data": {}}), count=count, **match)

    def error_next(self, code: int, message: str = "error", count: int = 1, **match: Any) -> None:
        self.add_fault(tiktok_answer(code=code, message=message), count=count, **match)

    def rate_limit_next(self, *, http_429: bool = False, retry_after: int | None = None, count: int = 1, **match):
        reply = tiktok_answer(code=40100, message="Too many requests. Please retry in some time.")
        if http_429:
            reply.status = 429
        if retry_after is not None:
            reply.headers["Retry-After"] = str(retry_after)
        self.add_fault(reply, count=count, **match)

    def delay_next(self, seconds: float, count: int = 1, **match: Any) -> None:
        self.add_fault(None, count=count, delay=seconds, **match)

    # -------------------------------------------------------------- routing

    def handle(self, request: Request) -> Reply:
        if request.path.rstrip("/") == "/v2/auth/authorize":
            return self._authorize(request)
        if not request.path.startswith(BASE):
            return Reply(404, {"code": 40400, "message": "Not found"})
        path = request.path[len(BASE) :].rstrip("/")
        with self.lock:
            if request.method == "POST" and path == "tt_user/oauth2/token":
                return self._token(request.json or {})
            if request.method == "POST" and path == "tt_user/oauth2/refresh_token":
                return self._refresh(request.json or {})
            if request.method != "GET":
                return tiktok_answer(code=40002, message="Method not allowed")
            open_id = self._auth(request)
            if isinstance(open_id, Reply):
                return open_id
            if path == "business/get":
                account = self.accounts[open_id]
                return tiktok_answer(
                    {
                        "username": account.username,
                        "display_name": account.display_name,
                        "is_business_account": account.is_business,
                        "profile_image": "https://p16.tiktokcdn.com/avatar.jpeg",
                    }
                )
            if path == "business/video/list":
                return self._videos(request, open_id)
            if path in ("business/comment/list", "business/comment/reply/list"):
                return self._comments(request, open_id, replies=path.endswith("reply/list"))
        return tiktok_answer(code=40002, message=f"Unknown API: {path}")

    def _authorize(self, request: Request) -> Reply:
        if request.query.get("client_key") != self.client_key:
            return Reply(400, "client_key")
        account = self.consenting_account or next(iter(self.accounts))
        code = self.issue_code(account, request.query.get("redirect_uri"))
        query = urlencode({"code": code, "scopes": request.query.get("scope", ""), "state": request.query.get("state")})
        return Reply(302, b"", {"Location": f"{request.query.get('redirect_uri')}?{query}"})

    def _grant(self, open_id: str) -> Reply:
        access = self.issue_token(open_id)
        refresh = "rft." + secrets.token_urlsafe(32)
        self.refresh_tokens[refresh] = TikTokToken(open_id, self.clock() + timedelta(seconds=REFRESH_SECONDS))
        return tiktok_answer(
            {
                "access_token": access,
                "token_type": "Bearer",
                "scope": SCOPE,
                "expires_in": ACCESS_SECONDS,
                "refresh_token": refresh,
                "refresh_token_expires_in": REFRESH_SECONDS,
                "open_id": open_id,
            }
        )

    def _app_ok(self, body: dict) -> bool:
        return body.get("client_id") == self.client_key and body.get("client_secret") == self.client_secret

    def _token(self, body: dict) -> Reply:
        if not self._app_ok(body):
            return tiktok_answer(code=40101, message="Invalid app id or secret")
        entry = self.codes.pop(str(body.get("auth_code")), None)
        if body.get("grant_type") != "authorization_code" or entry is None:
            return tiktok_answer(code=40110, message="Authorization code is invalid or has been used")
        if entry[1] is not None and entry[1] != body.get("redirect_uri"):
            return tiktok_answer(code=40002, message="redirect_uri does not match")
        return self._grant(entry[0])

    def _refresh(self, body: dict) -> Reply:
        if not self._app_ok(body):
            return tiktok_answer(code=40101, message="Invalid app id or secret")
        # Rotation: a refresh token works once; the answer carries its successor.
        entry = self.refresh_tokens.pop(str(body.get("refresh_token")), None)
        if body.get("grant_type") != "refresh_token" or entry is None or entry.expires_at <= self.clock():
            return tiktok_answer(code=40103, message="Refresh token is invalid or expired")
        return self._grant(entry.open_id)

    def _auth(self, request: Request) -> str | Reply:
        token = self.access_tokens.get(request.headers.get("access-token", ""))
        if token is None:
            return tiktok_answer(code=40105, message="Access token is incorrect or has been revoked.")
        if token.expires_at <= self.clock():
            return tiktok_answer(code=40102, message="Access token has expired.")
        if request.query.get("business_id") != token.open_id:
            return tiktok_answer(code=40001, message="No permission to operate this business account.")
        return token.open_id

    def _page(self, request: Request, items: list[dict], key: str, cap: int) -> Reply:
        size = max(1, min(int(request.query.get("max_count") or cap), cap, self.page_size))
        start = int(request.query.get("cursor") or 0)
        chunk = items[start : start + size]
        has_more = start + size < len(items)
        return tiktok_answer({key: chunk, "cursor": start + len(chunk), "has_more": has_more})

    def _videos(self, request: Request, open_id: str) -> Reply:
        fields = set(json.loads(request.query.get("fields") or '["item_id"]')) | {"item_id"}
        videos = sorted((v for v in self.videos.values() if v.open_id == open_id), key=lambda v: v.create_time)
        items = []
        for video in reversed(videos):
            full = {
                "item_id": video.item_id,
                "create_time": str(int(video.create_time.timestamp())),
                "caption": video.caption,
                "share_url": f"https://www.tiktok.com/@{self.accounts[open_id].username}/video/{video.item_id}",
                "comments": sum(1 for c in self.comments.values() if c.video_id == video.item_id),
                "media_type": "VIDEO",
            }
            items.append({k: v for k, v in full.items() if k in fields})
        return self._page(request, items, "videos", 20)

    def _comments(self, request: Request, open_id: str, *, replies: bool) -> Reply:
        video = self.videos.get(request.query.get("video_id", ""))
        if video is None or video.open_id != open_id:
            return tiktok_answer(code=40002, message="video_id is invalid")
        parent = request.query.get("comment_id") if replies else None
        if replies and parent not in self.comments:
            return tiktok_answer(code=40002, message="comment_id is invalid")
        chosen = [c for c in self.comments.values() if c.video_id == video.item_id and c.parent_id == parent]
        if request.query.get("status", "PUBLIC") == "PUBLIC":
            chosen = [c for c in chosen if not c.hidden]
        chosen.sort(key=lambda c: (c.create_time, int(c.comment_id)))
        items = [
            {
                "comment_id": c.comment_id,
                "video_id": c.video_id,
                "user_id": c.user_id,
                "unique_identifier": c.user_id,
                "create_time": str(int(c.create_time.timestamp())),
                "text": c.text,
                "likes": 0,
                "replies": sum(1 for r in self.comments.values() if r.parent_id == c.comment_id),
                "owner": False,
                "status": "HIDDEN" if c.hidden else "PUBLIC",
                "username": c.username,
                "parent_comment_id": c.parent_id or c.video_id,
            }
            for c in chosen
        ]
        return self._page(request, items, "comments", 30)
