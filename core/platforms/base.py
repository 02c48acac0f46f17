"""What every platform client speaks: plain dataclasses, typed errors and the `PlatformClient` protocol.

The collection (issue 4) and DM sending (issue 6) code only ever see these types, never a
platform's wire format, so they handle Instagram and TikTok the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


@dataclass
class TokenGrant:
    access_token: str
    expires_in: int | None
    refresh_token: str | None = None
    refresh_expires_in: int | None = None
    platform_user_id: str | None = None
    scopes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        # Tokens must never land in a log line or a traceback through repr().
        return (
            f"TokenGrant(access_token='***', expires_in={self.expires_in}, "
            f"refresh_token={'***' if self.refresh_token else None}, refresh_expires_in={self.refresh_expires_in}, "
            f"platform_user_id={self.platform_user_id!r}, scopes={self.scopes!r})"
        )


@dataclass
class Profile:
    id: str
    username: str
    account_type: str | None
    name: str | None = None


@dataclass
class PersonProfile:
    """A person who messaged the account, by their Instagram-scoped id (User Profile API)."""

    id: str
    username: str | None
    name: str | None


@dataclass
class Media:
    id: str
    caption: str | None
    permalink: str | None
    timestamp: datetime
    comments_count: int
    media_type: str | None


@dataclass
class Comment:
    """A comment, a reply (parent_id set) or a mention (media_id is the media that mentions us)."""

    id: str
    text: str | None
    user_id: str | None
    username: str | None
    timestamp: datetime
    media_id: str | None
    parent_id: str | None = None
    hidden: bool = False
    raw: dict = field(default_factory=dict)
    # How many replies the comment's page says it has; None when the page does not say (or lists only
    # some of them), so collection cannot tell which threads grew.
    reply_count: int | None = None


@dataclass
class Message:
    """A direct message in a conversation (inbound when `from_id` is not the account)."""

    id: str
    text: str | None
    from_id: str | None
    from_username: str | None
    to_id: str | None
    timestamp: datetime
    conversation_id: str | None = None


@dataclass
class Conversation:
    id: str
    updated_time: datetime | None
    participant_ids: list[str]
    messages: list[Message]  # the most recent first, as the platform returns them


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass
class SendResult:
    message_id: str
    recipient_id: str | None


# ------------------------------------------------------------------ errors


class PlatformError(Exception):
    """A platform refused or failed a call; `code`/`subcode` are the platform's own numbers."""

    def __init__(
        self, message: str, code: int | str | None = None, subcode: int | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.status = status

    def __str__(self) -> str:
        parts = [self.message]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.subcode is not None:
            parts.append(f"subcode={self.subcode}")
        if self.status is not None:
            parts.append(f"http={self.status}")
        return " ".join(parts)


class RateLimited(PlatformError):
    """Back off for `retry_after` seconds before calling this account again."""

    def __init__(self, message: str, retry_after: float, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = float(retry_after)


class TokenExpired(PlatformError):
    """The token is expired, revoked or invalid: the account must be reconnected."""


class PermissionMissing(PlatformError):
    """The token lacks a permission (scope) the call needs."""


class OutsideMessagingWindow(PlatformError):
    """The platform's rules do not allow this DM now (24 h window, 7-day private reply window)."""


class RecipientUnavailable(OutsideMessagingWindow):
    """Error 551: the person cannot receive messages from the account (a block): stop offering."""


class AlreadyReplied(OutsideMessagingWindow):
    """The one private reply a comment allows was already sent; never send another."""


class DMNotSupported(PlatformError):
    """The platform offers no way to send this DM at all."""


class PlatformUnavailable(PlatformError):
    """5xx, network error or timeout; `outcome_unknown` means a send may have gone through."""

    def __init__(self, message: str, *, outcome_unknown: bool = False, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.outcome_unknown = outcome_unknown


# ------------------------------------------------------------------ the client protocol


@runtime_checkable
class PlatformClient(Protocol):
    platform: str
    supports_dm: bool
    api_calls: int

    def profile(self) -> Profile: ...

    def list_media(self, since: datetime | None = None, cursor: str | None = None, limit: int = 50) -> Page[Media]: ...

    def list_comments(self, media_id: str, cursor: str | None = None) -> Page[Comment]: ...

    def list_replies(self, comment_id: str, cursor: str | None = None, *, media_id: str | None = None) -> Page[Comment]:
        """`media_id` is required by TikTok (replies are addressed by video and comment), ignored by Instagram."""
        ...

    def list_mentions(self, cursor: str | None = None) -> Page[Comment]: ...

    def send_private_reply(self, comment_id: str, text: str) -> SendResult: ...

    def send_message(self, recipient_id: str, text: str) -> SendResult: ...


# ------------------------------------------------------------------ scrubbing

_SECRET_PARAMS = re.compile(
    r"(?P<name>access_token|client_secret|refresh_token|code|auth_code|fb_exchange_token)"
    r"(?P<sep>=|\"\s*:\s*\"|':\s*')(?P<value>[^&\s\"']+)",
    re.IGNORECASE,
)


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove token-like query/JSON values and any known secret from text meant for errors or logs."""
    text = _SECRET_PARAMS.sub(lambda m: f"{m.group('name')}{m.group('sep')}***", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
