"""Clients for the social platforms (Instagram, TikTok) behind one `PlatformClient` protocol, and the chat
platforms' Web APIs (`slack`: Slack Web API, `telegram`: Telegram Bot API) the alerts and the bot use."""

from core.platforms.base import (
    AlreadyReplied,
    Comment,
    Conversation,
    DMNotSupported,
    Media,
    Message,
    OutsideMessagingWindow,
    Page,
    PermissionMissing,
    PlatformClient,
    PlatformError,
    PlatformUnavailable,
    Profile,
    RateLimited,
    RecipientUnavailable,
    SendResult,
    TokenExpired,
    TokenGrant,
)
from core.platforms.usage import UsageTracker

__all__ = [
    "AlreadyReplied",
    "Comment",
    "Conversation",
    "DMNotSupported",
    "Media",
    "Message",
    "OutsideMessagingWindow",
    "Page",
    "PermissionMissing",
    "PlatformClient",
    "PlatformError",
    "PlatformUnavailable",
    "Profile",
    "RateLimited",
    "RecipientUnavailable",
    "SendResult",
    "TokenExpired",
    "TokenGrant",
    "UsageTracker",
]
