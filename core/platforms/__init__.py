"""Clients for the social platforms (Instagram, TikTok) behind one `PlatformClient` protocol."""

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
    "SendResult",
    "TokenExpired",
    "TokenGrant",
    "UsageTracker",
]
