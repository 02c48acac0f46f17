"""Build platform clients from the app's config mapping (never from a request)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.platforms.instagram import InstagramClient, InstagramOAuth
from core.platforms.tiktok import TikTokClient, TikTokOAuth
from core.platforms.usage import UsageTracker

DEFAULTS = {
    "INSTAGRAM_OAUTH_URL": "https://api.instagram.com",
    "INSTAGRAM_AUTHORIZE_URL": "https://www.instagram.com/oauth/authorize",
    "INSTAGRAM_API_URL": "https://graph.instagram.com",
    "INSTAGRAM_API_VERSION": "v23.0",
    "TIKTOK_OAUTH_URL": "https://www.tiktok.com/v2/auth/authorize/",
    "TIKTOK_API_URL": "https://business-api.tiktok.com/open_api/v1.3",
}


def _get(config: Mapping[str, Any], name: str) -> str:
    return str(config.get(name) or DEFAULTS.get(name) or "")


def instagram_oauth(config: Mapping[str, Any]) -> InstagramOAuth:
    return InstagramOAuth(
        oauth_url=_get(config, "INSTAGRAM_OAUTH_URL"),
        authorize_url=_get(config, "INSTAGRAM_AUTHORIZE_URL"),
        api_url=_get(config, "INSTAGRAM_API_URL"),
        api_version=_get(config, "INSTAGRAM_API_VERSION"),
        client_id=_get(config, "INSTAGRAM_CLIENT_ID"),
        client_secret=_get(config, "INSTAGRAM_CLIENT_SECRET"),
        redirect_uri=_get(config, "INSTAGRAM_REDIRECT_URI"),
    )


def tiktok_oauth(config: Mapping[str, Any]) -> TikTokOAuth:
    return TikTokOAuth(
        authorize_url=_get(config, "TIKTOK_OAUTH_URL"),
        api_url=_get(config, "TIKTOK_API_URL"),
        client_key=_get(config, "TIKTOK_CLIENT_KEY"),
        client_secret=_get(config, "TIKTOK_CLIENT_SECRET"),
        redirect_uri=_get(config, "TIKTOK_REDIRECT_URI"),
    )


def instagram_client(
    config: Mapping[str, Any], *, access_token: str, ig_user_id: str, usage: UsageTracker | None = None, **kwargs: Any
) -> InstagramClient:
    return InstagramClient(
        access_token,
        ig_user_id,
        api_url=_get(config, "INSTAGRAM_API_URL"),
        api_version=_get(config, "INSTAGRAM_API_VERSION"),
        usage=usage,
        **kwargs,
    )


def tiktok_client(
    config: Mapping[str, Any], *, access_token: str, open_id: str, usage: UsageTracker | None = None, **kwargs: Any
) -> TikTokClient:
    return TikTokClient(access_token, open_id, api_url=_get(config, "TIKTOK_API_URL"), usage=usage, **kwargs)
