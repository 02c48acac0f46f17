"""Instagram's wire format: reading Graph answers into our dataclasses and errors into typed ones.

The choices (error codes, shapes) are written down in core/platforms/instagram.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from core.platforms.base import (
    AlreadyReplied,
    Comment,
    Conversation,
    Media,
    Message,
    OutsideMessagingWindow,
    Page,
    PermissionMissing,
    PlatformError,
    PlatformUnavailable,
    Profile,
    RateLimited,
    RecipientUnavailable,
    TokenExpired,
)
from core.platforms.usage import parse_usage_headers

RATE_LIMIT_CODES = {4, 17, 32, 613, 80002}
TOKEN_CODES = {190, 102}
WINDOW_SUBCODE = 2534022
ALREADY_REPLIED_SUBCODE = 2534014
DEFAULT_RETRY_AFTER = 60.0


def parse_time(value: str | None) -> datetime:
    """Meta writes 2017-08-31T18:10:30+0000."""
    if not value:
        raise PlatformError("the platform sent an item without a timestamp")
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def retry_after_from(response: httpx.Response) -> float:
    """Retry-After, else the business-use-case estimate (minutes), else a default."""
    header = response.headers.get("retry-after")
    if header:
        try:
            return max(1.0, float(header))
        except ValueError:
            pass
    _, regain_seconds = parse_usage_headers(response.headers)
    return regain_seconds or DEFAULT_RETRY_AFTER


def map_error(response: httpx.Response, body: Any) -> PlatformError | None:
    """Turn a Graph or OAuth error answer into the matching typed error (None when it is no error)."""
    status = response.status_code
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return _graph_error(response, error)
    if isinstance(body, dict) and "error_message" in body:
        return PlatformError(str(body["error_message"]), code=int_or_none(body.get("code")), status=status)
    if status == 429:
        return RateLimited("rate limited", retry_after=retry_after_from(response), status=status)
    return None


def _graph_error(response: httpx.Response, error: dict) -> PlatformError:
    status = response.status_code
    code = int_or_none(error.get("code"))
    subcode = int_or_none(error.get("error_subcode"))
    message = str(error.get("message") or "Instagram refused the call")
    kwargs: dict[str, Any] = {"code": code, "subcode": subcode, "status": status}
    if status == 429 or code in RATE_LIMIT_CODES:
        return RateLimited(message, retry_after=retry_after_from(response), **kwargs)
    if code in TOKEN_CODES:
        return TokenExpired(message, **kwargs)
    if code == 10 and subcode == ALREADY_REPLIED_SUBCODE:
        return AlreadyReplied(message, **kwargs)
    if code == 551:
        return RecipientUnavailable(message, **kwargs)
    if code == 10 and (subcode == WINDOW_SUBCODE or "window" in message.lower()):
        return OutsideMessagingWindow(message, **kwargs)
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PermissionMissing(message, **kwargs)
    if code in {1, 2} or error.get("is_transient") or status >= 500:
        return PlatformUnavailable(message, **kwargs)
    return PlatformError(message, **kwargs)


def int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def page_of(body: Any, parse: Callable[[dict], Any]) -> Page:
    items = [parse(item) for item in (body or {}).get("data", [])]
    paging = (body or {}).get("paging") or {}
    after = (paging.get("cursors") or {}).get("after")
    return Page(items=items, next_cursor=after if paging.get("next") and after else None)


def str_or_none(value: Any) -> str | None:
    return str(value) if value is not None else None


def profile_from(body: dict) -> Profile:
    # `user_id` is the professional account id used by /{ig-user-id} and webhooks; `id` is app-scoped.
    return Profile(
        id=str(body.get("user_id") or body["id"]),
        username=str(body.get("username") or ""),
        account_type=body.get("account_type"),
        name=body.get("name"),
    )


def media_from(item: dict) -> Media:
    return Media(
        id=str(item["id"]),
        caption=item.get("caption"),
        permalink=item.get("permalink"),
        timestamp=parse_time(item.get("timestamp")),
        comments_count=int(item.get("comments_count") or 0),
        media_type=item.get("media_type"),
    )


def comment_from(
    item: dict, *, media_id: str | None = None, parent_id: str | None = None, with_replies: bool = False
) -> Comment:
    """`with_replies`: the request asked for the `replies` edge, so its absence means no replies."""
    author = item.get("from") or {}
    media = item.get("media") or {}
    return Comment(
        id=str(item["id"]),
        text=item.get("text"),
        user_id=str_or_none(author.get("id")),
        username=item.get("username") or author.get("username"),
        timestamp=parse_time(item.get("timestamp")),
        media_id=str_or_none(media.get("id")) or media_id,
        parent_id=str_or_none(item.get("parent_id")) or parent_id,
        hidden=bool(item.get("hidden", False)),
        raw=item,
        reply_count=reply_count_from(item.get("replies")) if with_replies else None,
    )


def reply_count_from(replies: Any) -> int | None:
    """The replies edge expanded in a comment (`replies{id}`): Graph leaves an empty edge out, and lists
    one page of a long one with `paging.next`, whose total it does not give (None)."""
    if replies is None:
        return 0
    if not isinstance(replies, dict) or not isinstance(replies.get("data"), list):
        return None
    if (replies.get("paging") or {}).get("next"):
        return None
    return len(replies["data"])


def mention_from(item: dict) -> Comment:
    return Comment(
        id=str(item["id"]),
        text=item.get("caption"),
        user_id=None,
        username=item.get("username"),
        timestamp=parse_time(item.get("timestamp")),
        media_id=str(item["id"]),
        raw=item,
    )


def conversation_from(item: dict) -> Conversation:
    participants = (item.get("participants") or {}).get("data") or []
    messages = []
    for message in (item.get("messages") or {}).get("data") or []:
        sender = message.get("from") or {}
        to = ((message.get("to") or {}).get("data") or [{}])[0]
        messages.append(
            Message(
                id=str(message["id"]),
                text=message.get("message"),
                from_id=str_or_none(sender.get("id")),
                from_username=sender.get("username"),
                to_id=str_or_none(to.get("id")),
                timestamp=parse_time(message.get("created_time")),
                conversation_id=str(item["id"]),
            )
        )
    updated = item.get("updated_time")
    return Conversation(
        id=str(item["id"]),
        updated_time=parse_time(updated) if updated else None,
        participant_ids=[str(p["id"]) for p in participants if p.get("id")],
        messages=messages,
    )
