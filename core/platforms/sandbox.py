"""SANDBOX Instagram adapter: a made-up account for demos that never calls Instagram.

It answers reads from the deterministic world of core.demo.world (so collection, scoring and the
console work as with a real account) and records sends instead of making them: the send returns a
`sandbox-...` message id, which the DM keeps as its platform id, and is logged and kept in `sent`.
Accounts with account_type SANDBOX get this client from `social_accounts.client_for`. It refuses to
exist in production (VISTAFLOW_ENV=production).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.db import utcnow
from core.demo import world as demo_world
from core.platforms.base import Comment, Media, Page, PlatformError, Profile, SendResult

log = logging.getLogger(__name__)

ACCOUNT_TYPE = "SANDBOX"
PAGE_SIZE = 50
REFUSED = (
    "Sandbox accounts are refused in production (VISTAFLOW_ENV=production): they record DMs instead of "
    "sending them. Connect a real Instagram account instead."
)


class SandboxRefused(PlatformError):
    """The sandbox adapter was asked for in production."""


@dataclass
class RecordedSend:
    kind: str
    recipient: str
    text: str
    message_id: str
    at: datetime


def is_sandbox(account: Any) -> bool:
    return (getattr(account, "account_type", None) or "").upper() == ACCOUNT_TYPE


def _page(items: list, cursor: str | None) -> tuple[list, str | None]:
    start = int(cursor) if cursor and cursor.isdigit() else 0
    end = start + PAGE_SIZE
    return items[start:end], (str(end) if end < len(items) else None)


class SandboxClient:
    """The PlatformClient protocol over the demo world; sends are recorded, never made."""

    platform = "instagram"
    supports_dm = True

    def __init__(
        self, *, user_id: str, username: str, anchor: datetime, production: bool, now: datetime | None = None
    ) -> None:
        if production:
            raise SandboxRefused(REFUSED)
        self.user_id = user_id
        self.username = username
        self.api_calls = 0
        self.sent: list[RecordedSend] = []
        self._world = demo_world.build(user_id, username, anchor, now or utcnow())
        self._posts = {post.id: post for post in self._world.posts}

    @classmethod
    def for_account(cls, account: Any, *, production: bool, now: datetime | None = None) -> SandboxClient:
        return cls(
            user_id=account.platform_user_id,
            username=account.username,
            anchor=account.created_at,
            production=production,
            now=now,
        )

    def close(self) -> None:
        """Nothing to release: there is no connection."""

    # ---------------------------------------------------------------- reads

    def profile(self) -> Profile:
        self.api_calls += 1
        return Profile(id=self.user_id, username=self.username, account_type=ACCOUNT_TYPE, name="Sandbox account")

    def list_media(self, since: datetime | None = None, cursor: str | None = None, limit: int = 50) -> Page[Media]:
        self.api_calls += 1
        media = [
            Media(
                id=p.id,
                caption=p.caption,
                permalink=p.permalink,
                timestamp=p.at,
                media_type="IMAGE",
                comments_count=len(p.comments) + sum(len(r) for r in p.replies.values()),
            )
            for p in sorted(self._world.posts, key=lambda p: p.at, reverse=True)
            if since is None or p.at >= since
        ]
        items, next_cursor = _page(media, cursor)
        return Page(items, next_cursor)

    def _comment(self, item: demo_world.Item, replies: int | None = None) -> Comment:
        raw: dict[str, Any] = {"sandbox": True}
        if replies is not None:
            raw["replies"] = replies
        return Comment(
            id=item.id,
            text=item.text,
            user_id=item.person.id,
            username=item.person.username,
            timestamp=item.at,
            media_id=item.media_id,
            parent_id=item.parent_id,
            raw=raw,
        )

    def list_comments(self, media_id: str, cursor: str | None = None) -> Page[Comment]:
        self.api_calls += 1
        post = self._posts.get(media_id)
        comments = sorted(post.comments, key=lambda c: (c.at, c.id), reverse=True) if post else []
        items, next_cursor = _page(comments, cursor)
        return Page([self._comment(c, len(post.replies.get(c.id, []))) for c in items], next_cursor)

    def list_replies(self, comment_id: str, cursor: str | None = None, *, media_id: str | None = None) -> Page[Comment]:
        self.api_calls += 1
        replies = [r for post in self._world.posts for r in post.replies.get(comment_id, [])]
        items, next_cursor = _page(replies, cursor)
        return Page([self._comment(r) for r in items], next_cursor)

    def list_mentions(self, cursor: str | None = None) -> Page[Comment]:
        self.api_calls += 1
        mentions = sorted(self._world.mentions, key=lambda m: (m.at, m.id), reverse=True)
        items, next_cursor = _page(mentions, cursor)
        return Page([self._comment(m) for m in items], next_cursor)

    # ---------------------------------------------------------------- sends (recorded only)

    def _record(self, kind: str, recipient: str, text: str) -> SendResult:
        self.api_calls += 1
        message_id = f"sandbox-{uuid.uuid4().hex[:16]}"
        self.sent.append(RecordedSend(kind, recipient, text, message_id, utcnow()))
        log.info(
            "sandbox @%s: recorded a %s to %s (%d characters); nothing was sent to Instagram",
            self.username,
            kind,
            recipient,
            len(text),
        )
        return SendResult(message_id=message_id, recipient_id=recipient)

    def send_private_reply(self, comment_id: str, text: str) -> SendResult:
        return self._record("private_reply", comment_id, text)

    def send_message(self, recipient_id: str, text: str) -> SendResult:
        return self._record("message", recipient_id, text)
