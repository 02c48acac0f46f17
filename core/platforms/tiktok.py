"""TikTok API for Business, TikTok accounts (business-api.tiktok.com/open_api/v1.3): reads and OAuth.

Wire choices, from the Business API documentation where it is explicit:
- Every answer is {"code": 0, "message": "OK", "request_id": ..., "data": {...}}, usually with HTTP 200
  even for errors; a non-zero `code` is an error. Reads send the token in the `Access-Token` header
  (no "Bearer") and the account's open_id as `business_id`.
- Error codes: 40100 (requests too frequent) and 42900 / HTTP 429 are RateLimited; 40102 (access token
  expired), 40103 (refresh token expired), 40104 (token empty) and 40105 (token incorrect or revoked)
  are TokenExpired; 40001 (no permission) and 40300 (scope not authorised) are PermissionMissing;
  50000 / 50002 and HTTP 5xx are PlatformUnavailable; others (40110 / 40131 bad or expired auth code,
  40002 bad parameter...) are a plain PlatformError.
- Lists page with an integer `cursor` and `has_more`; our cursor is that integer as a string.
  `/business/video/list/` returns newest first, so `since` stops paging at the first older video.
- Replies are addressed by video and comment (`/business/comment/reply/list/`), so `list_replies`
  needs `media_id`.
- The Business API cannot DM a commenter and has no mention feed: sends raise DMNotSupported without
  any HTTP call and `list_mentions` is always empty.
- OAuth: the consent page is www.tiktok.com/v2/auth/authorize/ (client_key, scope, response_type=code,
  redirect_uri, state); tokens come from POST /tt_user/oauth2/token/ and /tt_user/oauth2/refresh_token/
  with a JSON body. A refresh returns a new refresh token; the old one must be dropped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from core.platforms.base import (
    Comment,
    DMNotSupported,
    Media,
    Page,
    PermissionMissing,
    PlatformError,
    PlatformUnavailable,
    Profile,
    RateLimited,
    SendResult,
    TokenExpired,
    TokenGrant,
)
from core.platforms.http import ClientLifecycle, PlatformHttp
from core.platforms.usage import UsageTracker

SCOPES = ("user.info.basic", "user.info.username", "video.list", "comment.list")
RATE_LIMIT_CODES = {40100, 42900}
TOKEN_CODES = {40102, 40103, 40104, 40105}
PERMISSION_CODES = {40001, 40300}
UNAVAILABLE_CODES = {50000, 50002}
DEFAULT_RETRY_AFTER = 60.0
VIDEO_FIELDS = ["item_id", "create_time", "caption", "share_url", "comments", "media_type"]
PROFILE_FIELDS = ["username", "display_name", "is_business_account"]
MAX_VIDEOS_PER_PAGE = 20
MAX_COMMENTS_PER_PAGE = 30


def map_error(response: httpx.Response, body: Any) -> PlatformError | None:
    """Turn a Business API answer with a non-zero code (or a bad HTTP status) into a typed error."""
    status = response.status_code
    code = body.get("code") if isinstance(body, dict) else None
    if status == 429 or code in RATE_LIMIT_CODES:
        message = str((body or {}).get("message") or "rate limited")
        return RateLimited(message, retry_after=_retry_after(response), code=code, status=status)
    if code in (0, None):
        return None
    message = str(body.get("message") or "TikTok refused the call")
    kwargs: dict[str, Any] = {"code": code, "status": status}
    if code in TOKEN_CODES:
        return TokenExpired(message, **kwargs)
    if code in PERMISSION_CODES:
        return PermissionMissing(message, **kwargs)
    if code in UNAVAILABLE_CODES:
        return PlatformUnavailable(message, **kwargs)
    return PlatformError(message, **kwargs)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(1.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return DEFAULT_RETRY_AFTER


def _data(body: Any) -> dict:
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise PlatformUnavailable("TikTok answered without data")
    return body["data"]


def _time(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class TikTokClient(ClientLifecycle):
    """Reads for one TikTok business account (no DMs: the platform has none)."""

    platform = "tiktok"
    supports_dm = False

    def __init__(
        self,
        access_token: str,
        open_id: str,
        *,
        api_url: str,
        usage: UsageTracker | None = None,
        account_key: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 30.0,
    ) -> None:
        self.open_id = str(open_id)
        self._token = access_token
        self.base = api_url.rstrip("/")
        self.http = PlatformHttp(
            map_error=map_error,
            secrets=[access_token],
            timeout=timeout,
            transport=transport,
            usage=usage,
            account_key=account_key or f"tiktok:{self.open_id}",
            sleep=sleep,
            max_wait=max_wait,
        )

    def __repr__(self) -> str:
        return f"TikTokClient(open_id={self.open_id!r})"

    def profile(self) -> Profile:
        data = self._get("business/get/", fields=json.dumps(PROFILE_FIELDS))
        return profile_from(self.open_id, data)

    def list_media(self, since: datetime | None = None, cursor: str | None = None, limit: int = 50) -> Page[Media]:
        params: dict[str, Any] = {
            "fields": json.dumps(VIDEO_FIELDS),
            "max_count": max(1, min(limit, MAX_VIDEOS_PER_PAGE)),
        }
        if cursor:
            params["cursor"] = cursor
        data = self._get("business/video/list/", **params)
        items = [media_from(video) for video in data.get("videos") or []]
        next_cursor = _next(data)
        if since is not None:
            kept = [item for item in items if item.timestamp >= since]
            if len(kept) < len(items):
                next_cursor = None  # newest first: everything after this is older still
            items = kept
        return Page(items=items, next_cursor=next_cursor)

    def list_comments(
        self, media_id: str, cursor: str | None = None, limit: int = MAX_COMMENTS_PER_PAGE
    ) -> Page[Comment]:
        params: dict[str, Any] = {
            "video_id": media_id,
            "status": "ALL",
            "max_count": max(1, min(limit, MAX_COMMENTS_PER_PAGE)),
        }
        if cursor:
            params["cursor"] = cursor
        data = self._get("business/comment/list/", **params)
        return Page([comment_from(c, media_id) for c in data.get("comments") or []], _next(data))

    def list_replies(
        self,
        comment_id: str,
        cursor: str | None = None,
        *,
        media_id: str | None = None,
        limit: int = MAX_COMMENTS_PER_PAGE,
    ) -> Page[Comment]:
        if not media_id:
            raise ValueError("TikTok replies are listed per video: pass media_id")
        params: dict[str, Any] = {
            "video_id": media_id,
            "comment_id": comment_id,
            "status": "ALL",
            "max_count": max(1, min(limit, MAX_COMMENTS_PER_PAGE)),
        }
        if cursor:
            params["cursor"] = cursor
        data = self._get("business/comment/reply/list/", **params)
        replies = [comment_from(c, media_id, parent_id=comment_id) for c in data.get("comments") or []]
        return Page(replies, _next(data))

    def list_mentions(self, cursor: str | None = None) -> Page[Comment]:
        return Page(items=[], next_cursor=None)

    def send_private_reply(self, comment_id: str, text: str) -> SendResult:
        raise DMNotSupported("TikTok offers no way to message a commenter")

    def send_message(self, recipient_id: str, text: str) -> SendResult:
        raise DMNotSupported("TikTok offers no way to message a commenter")

    def _get(self, path: str, **params: Any) -> dict:
        body = self.http.request(
            "GET",
            f"{self.base}/{path}",
            params={"business_id": self.open_id, **params},
            headers={"Access-Token": self._token},
        )
        return _data(body)


def _next(data: dict) -> str | None:
    return str(data["cursor"]) if data.get("has_more") and data.get("cursor") is not None else None


def profile_from(open_id: str, data: dict) -> Profile:
    is_business = data.get("is_business_account")
    return Profile(
        id=open_id,
        username=str(data.get("username") or ""),
        account_type=None if is_business is None else ("BUSINESS" if is_business else "PERSONAL"),
        name=data.get("display_name"),
    )


def media_from(video: dict) -> Media:
    return Media(
        id=str(video["item_id"]),
        caption=video.get("caption"),
        permalink=video.get("share_url"),
        timestamp=_time(video.get("create_time")),
        comments_count=int(video.get("comments") or 0),
        media_type=video.get("media_type") or "VIDEO",
    )


def comment_from(item: dict, media_id: str | None, parent_id: str | None = None) -> Comment:
    video_id = _str(item.get("video_id")) or media_id
    parent = _str(item.get("parent_comment_id"))
    if parent == video_id:
        parent = None  # a top-level comment names its video as its parent
    return Comment(
        id=str(item["comment_id"]),
        text=item.get("text"),
        user_id=_str(item.get("unique_identifier")) or _str(item.get("user_id")),
        username=item.get("username"),
        timestamp=_time(item.get("create_time")),
        media_id=video_id,
        parent_id=parent or parent_id,
        hidden=str(item.get("status") or "").upper() == "HIDDEN",
        raw=item,
    )


class TikTokOAuth:
    """TikTok account authorisation for the Business API: consent URL, code exchange, refresh."""

    def __init__(
        self,
        *,
        authorize_url: str,
        api_url: str,
        client_key: str,
        client_secret: str,
        redirect_uri: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._authorize_url = authorize_url
        self.api_url = api_url.rstrip("/")
        self.client_key = client_key
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.transport = transport

    def __repr__(self) -> str:
        return f"TikTokOAuth(client_key={self.client_key!r})"

    def authorize_url(self, state: str) -> str:
        query = {
            "client_key": self.client_key,
            "scope": ",".join(SCOPES),
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "state": state,
        }
        return f"{self._authorize_url}?{urlencode(query)}"

    def exchange_code(self, code: str) -> TokenGrant:
        """Trade the redirect's code for an access token and a refresh token."""
        payload = {
            "client_id": self.client_key,
            "client_secret": self._client_secret,
            "grant_type": "authorization_code",
            "auth_code": code.strip(),
            "redirect_uri": self.redirect_uri,
        }
        return self._grant(self._call("tt_user/oauth2/token/", payload, [code]))

    def refresh(self, refresh_token: str) -> TokenGrant:
        """New access token and new refresh token (the old refresh token stops working)."""
        payload = {
            "client_id": self.client_key,
            "client_secret": self._client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        return self._grant(self._call("tt_user/oauth2/refresh_token/", payload, [refresh_token]))

    def profile(self, access_token: str, open_id: str) -> Profile:
        with TikTokClient(
            access_token, open_id, api_url=self.api_url, timeout=self.timeout, transport=self.transport
        ) as client:
            return client.profile()

    def _grant(self, data: dict) -> TokenGrant:
        if not data.get("access_token"):
            raise PlatformError("TikTok answered without a token")
        scope = data.get("scope") or ""
        scopes = scope if isinstance(scope, list) else [s for s in str(scope).split(",") if s]
        return TokenGrant(
            access_token=data["access_token"],
            expires_in=_int(data.get("expires_in")),
            refresh_token=data.get("refresh_token"),
            refresh_expires_in=_int(data.get("refresh_token_expires_in")),
            platform_user_id=_str(data.get("open_id")),
            scopes=scopes,
        )

    def _call(self, path: str, payload: dict, secrets: list[str]) -> dict:
        http = PlatformHttp(
            map_error=map_error, secrets=[self._client_secret, *secrets], timeout=self.timeout, transport=self.transport
        )
        try:
            return _data(http.request("POST", f"{self.api_url}/{path}", json=payload))
        finally:
            http.close()


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
