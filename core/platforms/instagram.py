"""Instagram API with Instagram Login (graph.instagram.com): reads, private replies, messages, OAuth.

Wire choices, from Meta's documentation where it is explicit:
- The token travels as the `access_token` query parameter (as documented); httpx log lines and error
  texts are scrubbed. Our page cursors are Meta's `paging.cursors.after`, never the `next` URL (which
  embeds the token), so a stored cursor holds no secret.
- Errors are {"error": {"message","type","code","error_subcode","fbtrace_id"}}. 4, 17, 32, 613 (and
  80002, the Instagram business-use-case throttle) and HTTP 429 are RateLimited; 190 and 102 are
  TokenExpired; 10 and 200-299 are PermissionMissing unless they are a messaging-window refusal:
  code 10 / subcode 2534022 ("This message is sent outside of allowed window") and code 551 (the person
  cannot receive messages) are OutsideMessagingWindow, code 10 / subcode 2534014 (a private reply was
  already sent for this comment) is AlreadyReplied. 1, 2, `is_transient` and 5xx are PlatformUnavailable.
- The OAuth code endpoint answers either {"data": [{"access_token","user_id","permissions"}]} or the
  older flat {"access_token","user_id","permissions"}; both are read. Its errors use the older shape
  {"error_type","code","error_message"}. A code-exchanged token is short-lived (one hour).
- Comment pages expand `replies{id}` (a documented IG Comment edge): an absent edge means no replies,
  a listed one gives their count unless it has `paging.next` (then the count is unknown).
- Mentions are the media the account is tagged or @mentioned in (`/{ig-user-id}/tags`), each returned
  as a Comment whose id and media_id are the media id (text is the caption).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from core.platforms.base import (
    Comment,
    Conversation,
    Media,
    Page,
    PersonProfile,
    PlatformError,
    PlatformUnavailable,
    Profile,
    SendResult,
    TokenGrant,
)
from core.platforms.http import ClientLifecycle, PlatformHttp
from core.platforms.instagram_wire import (
    comment_from,
    conversation_from,
    int_or_none,
    map_error,
    media_from,
    mention_from,
    page_of,
    profile_from,
    str_or_none,
)
from core.platforms.pacing import CONVERSATIONS_API, PRIVATE_REPLIES, Limit, Pacer
from core.platforms.usage import UsageTracker

SCOPES = ("instagram_business_basic", "instagram_business_manage_comments", "instagram_business_manage_messages")
SHORT_LIVED_SECONDS = 3600

MEDIA_FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp,comments_count,like_count"
COMMENT_FIELDS = "id,text,timestamp,username,from,parent_id,hidden,like_count,media"
# Top-level comments also expand their replies edge (ids only), so collection reads only the threads
# that grew instead of every thread of a media whose count moved.
TOP_COMMENT_FIELDS = COMMENT_FIELDS + ",replies{id}"
TAG_FIELDS = "id,caption,media_type,permalink,timestamp,username,comments_count"
# The User Profile API answers only for people who messaged the account (their consent).
PERSON_FIELDS = "name,username,profile_pic,is_verified_user,follower_count,is_user_follow_business"
CONVERSATION_FIELDS = "id,updated_time,participants,messages{id,created_time,from,to,message}"
MESSAGE_FIELDS = "id,messages{id,created_time,from,to,message}"
HUMAN_AGENT = "HUMAN_AGENT"


class InstagramClient(ClientLifecycle):
    """Reads and messages for one Instagram professional account."""

    platform = "instagram"
    supports_dm = True

    def __init__(
        self,
        access_token: str,
        ig_user_id: str,
        *,
        api_url: str,
        api_version: str,
        usage: UsageTracker | None = None,
        account_key: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 30.0,
        pacer: Pacer | None = None,
    ) -> None:
        self.ig_user_id = str(ig_user_id)
        self.pacer = pacer
        self._sleep = sleep
        self._max_wait = max_wait
        self._token = access_token
        self.base = f"{api_url.rstrip('/')}/{api_version}"
        self.http = PlatformHttp(
            map_error=map_error,
            secrets=[access_token],
            timeout=timeout,
            transport=transport,
            usage=usage,
            account_key=account_key or f"instagram:{self.ig_user_id}",
            sleep=sleep,
            max_wait=max_wait,
        )

    def __repr__(self) -> str:
        return f"InstagramClient(ig_user_id={self.ig_user_id!r})"

    # -------------------------------------------------------------- reads

    def profile(self) -> Profile:
        body = self._get("me", fields="user_id,username,account_type,name")
        return profile_from(body)

    def list_media(self, since: datetime | None = None, cursor: str | None = None, limit: int = 50) -> Page[Media]:
        params: dict[str, Any] = {"fields": MEDIA_FIELDS, "limit": limit}
        if since is not None:
            params["since"] = int(since.timestamp())
        if cursor:
            params["after"] = cursor
        return page_of(self._get(f"{self.ig_user_id}/media", **params), media_from)

    def list_comments(self, media_id: str, cursor: str | None = None, limit: int = 50) -> Page[Comment]:
        params: dict[str, Any] = {"fields": TOP_COMMENT_FIELDS, "limit": limit}
        if cursor:
            params["after"] = cursor
        body = self._get(f"{media_id}/comments", **params)
        return page_of(body, lambda item: comment_from(item, media_id=media_id, with_replies=True))

    def list_replies(
        self, comment_id: str, cursor: str | None = None, *, media_id: str | None = None, limit: int = 50
    ) -> Page[Comment]:
        params: dict[str, Any] = {"fields": COMMENT_FIELDS, "limit": limit}
        if cursor:
            params["after"] = cursor
        body = self._get(f"{comment_id}/replies", **params)
        return page_of(body, lambda item: comment_from(item, media_id=media_id, parent_id=comment_id))

    def list_mentions(self, cursor: str | None = None, limit: int = 50) -> Page[Comment]:
        params: dict[str, Any] = {"fields": TAG_FIELDS, "limit": limit}
        if cursor:
            params["after"] = cursor
        return page_of(self._get(f"{self.ig_user_id}/tags", **params), mention_from)

    def list_conversations(self, cursor: str | None = None, limit: int = 25) -> Page[Conversation]:
        """Instagram DM conversations, most recently updated first, each with its latest messages."""
        params: dict[str, Any] = {"platform": "instagram", "fields": CONVERSATION_FIELDS, "limit": limit}
        if cursor:
            params["after"] = cursor
        self._pace(CONVERSATIONS_API)
        return page_of(self._get(f"{self.ig_user_id}/conversations", **params), conversation_from)

    def conversation_messages(self, conversation_id: str) -> Conversation:
        """One conversation's latest messages (`GET /{conversation-id}?fields=messages{...}`)."""
        self._pace(CONVERSATIONS_API)
        body = self._get(str(conversation_id), fields=MESSAGE_FIELDS)
        if not isinstance(body, dict) or not body.get("id"):
            raise PlatformUnavailable("the conversation answered with no id")
        return conversation_from(body)

    def person_profile(self, igsid: str) -> PersonProfile:
        """The username and name of a person known by their Instagram-scoped id (User Profile API)."""
        body = self._get(str(igsid), fields=PERSON_FIELDS)
        if not isinstance(body, dict):
            raise PlatformUnavailable("the User Profile API answered with no JSON body")
        return PersonProfile(
            id=str(body.get("id") or igsid),
            username=str_or_none(body.get("username")),
            name=str_or_none(body.get("name")),
        )

    def get_comment(self, comment_id: str) -> Comment:
        """One comment by id (a webhook names a comment; this reads its details)."""
        return comment_from(self._get(comment_id, fields=COMMENT_FIELDS))

    # -------------------------------------------------------------- sends (never retried)

    def send_private_reply(self, comment_id: str, text: str) -> SendResult:
        self._pace(PRIVATE_REPLIES)
        return self._send({"comment_id": str(comment_id)}, text)

    def send_message(self, recipient_id: str, text: str, *, tag: str | None = None) -> SendResult:
        """A text message; `tag="HUMAN_AGENT"` (a person wrote it) reaches up to 7 days after their last one."""
        extra = {"messaging_type": "MESSAGE_TAG", "tag": tag} if tag else {}
        return self._send({"id": str(recipient_id)}, text, extra)

    def reply_to_comment(self, comment_id: str, text: str) -> str:
        """A public reply under a top-level comment (`POST /{comment-id}/replies`); returns the reply's id."""
        body = self._post(f"{comment_id}/replies", message=text)
        if not isinstance(body, dict) or not body.get("id"):
            raise PlatformUnavailable("the reply answered without an id", outcome_unknown=True)
        return str(body["id"])

    def set_comment_hidden(self, comment_id: str, hidden: bool) -> None:
        """Hide or unhide a comment on the account's media (`POST /{comment-id}?hide=true|false`)."""
        self._post(str(comment_id), hide="true" if hidden else "false")

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment the account wrote (our own public reply)."""
        self.http.request("DELETE", f"{self.base}/{comment_id}", params={"access_token": self._token})

    def _post(self, path: str, **params: Any) -> Any:
        return self.http.request("POST", f"{self.base}/{path}", params={**params, "access_token": self._token})

    def _pace(self, limit: Limit) -> None:
        if self.pacer is not None:
            self.pacer.wait_for_slot(
                self.http.account_key or self.ig_user_id, limit, sleep=self._sleep, max_wait=self._max_wait
            )

    def _send(self, recipient: dict[str, str], text: str, extra: dict[str, str] | None = None) -> SendResult:
        body = self.http.request(
            "POST",
            f"{self.base}/{self.ig_user_id}/messages",
            params={"access_token": self._token},
            json={"recipient": recipient, "message": {"text": text}, **(extra or {})},
        )
        if not isinstance(body, dict) or not body.get("message_id"):
            raise PlatformUnavailable("send answered without a message id", outcome_unknown=True)
        return SendResult(message_id=str(body["message_id"]), recipient_id=str_or_none(body.get("recipient_id")))

    def _get(self, path: str, **params: Any) -> Any:
        return self.http.request("GET", f"{self.base}/{path}", params={**params, "access_token": self._token})


class InstagramOAuth:
    """Business Login for Instagram: authorize URL, code -> short token -> long-lived token, refresh."""

    def __init__(
        self,
        *,
        oauth_url: str,
        authorize_url: str,
        api_url: str,
        api_version: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.oauth_url = oauth_url.rstrip("/")
        self._authorize_url = authorize_url
        self.api_url = api_url.rstrip("/")
        self.api_version = api_version
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.transport = transport

    def __repr__(self) -> str:
        return f"InstagramOAuth(client_id={self.client_id!r})"

    def authorize_url(self, state: str) -> str:
        query = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": ",".join(SCOPES),
            "state": state,
        }
        return f"{self._authorize_url}?{urlencode(query)}"

    def exchange_code(self, code: str) -> TokenGrant:
        """Trade the redirect's code for a short-lived (1 h) token."""
        code = code.strip().removesuffix("#_")
        form = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "grant_type": "authorization_code",
            "redirect_uri": self.redirect_uri,
            "code": code,
        }
        body = self._call("POST", f"{self.oauth_url}/oauth/access_token", [code], data=form)
        entry = body["data"][0] if isinstance(body.get("data"), list) and body["data"] else body
        if not entry.get("access_token"):
            raise PlatformError("Instagram answered the code exchange without a token")
        permissions = entry.get("permissions") or []
        if isinstance(permissions, str):
            permissions = [p for p in permissions.split(",") if p]
        return TokenGrant(
            access_token=entry["access_token"],
            expires_in=int_or_none(entry.get("expires_in")) or SHORT_LIVED_SECONDS,
            platform_user_id=str_or_none(entry.get("user_id")),
            scopes=list(permissions),
        )

    def exchange_long_lived(self, short_token: str) -> TokenGrant:
        """Trade a short-lived token for a 60-day one."""
        params = {"grant_type": "ig_exchange_token", "client_secret": self._client_secret, "access_token": short_token}
        return self._grant(self._call("GET", f"{self.api_url}/access_token", [short_token], params=params))

    def refresh(self, long_lived_token: str) -> TokenGrant:
        """Extend a long-lived token (at least 24 h old, not expired) by another 60 days."""
        params = {"grant_type": "ig_refresh_token", "access_token": long_lived_token}
        return self._grant(self._call("GET", f"{self.api_url}/refresh_access_token", [long_lived_token], params=params))

    def profile(self, access_token: str) -> Profile:
        params = {"fields": "user_id,username,account_type,name", "access_token": access_token}
        return profile_from(self._call("GET", f"{self.api_url}/{self.api_version}/me", [access_token], params=params))

    def _grant(self, body: dict) -> TokenGrant:
        if not body.get("access_token"):
            raise PlatformError("Instagram answered without a token")
        return TokenGrant(access_token=body["access_token"], expires_in=int_or_none(body.get("expires_in")))

    def _call(self, method: str, url: str, secrets: list[str], **kwargs: Any) -> dict:
        http = PlatformHttp(
            map_error=map_error,
            secrets=[self._client_secret, *secrets],
            timeout=self.timeout,
            transport=self.transport,
        )
        try:
            body = http.request(method, url, **kwargs)
        finally:
            http.close()
        if not isinstance(body, dict):
            raise PlatformUnavailable("Instagram answered with no JSON body")
        return body
