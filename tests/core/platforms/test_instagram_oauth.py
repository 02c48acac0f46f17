"""InstagramOAuth against the emulator: authorize URL, code -> short -> long-lived token, refresh, profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.config import load_config
from core.platforms import factory
from core.platforms.base import PlatformError, TokenExpired
from core.platforms.instagram import InstagramOAuth

REDIRECT = "https://app.example.com/social-accounts/instagram/callback"


@pytest.fixture
def oauth(instagram_emulator) -> InstagramOAuth:
    config = instagram_emulator.config() | {"INSTAGRAM_REDIRECT_URI": REDIRECT}
    return factory.instagram_oauth(config)


def test_authorize_url(oauth, instagram_emulator):
    url = oauth.authorize_url("state-123")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == instagram_emulator.authorize_url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "client_id": "ig-client-id",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "instagram_business_basic,instagram_business_manage_comments,instagram_business_manage_messages",
        "state": "state-123",
    }


def test_default_authorize_url_is_instagram():
    config = load_config("/tmp", {"INSTAGRAM_CLIENT_ID": "abc"})
    url = factory.instagram_oauth(config).authorize_url("s")
    assert url.startswith("https://www.instagram.com/oauth/authorize?client_id=abc&")
    assert config["INSTAGRAM_API_URL"] == "https://graph.instagram.com"
    assert config["INSTAGRAM_OAUTH_URL"] == "https://api.instagram.com"
    assert config["INSTAGRAM_API_VERSION"] == "v23.0"
    assert config["TIKTOK_API_URL"] == "https://business-api.tiktok.com/open_api/v1.3"


def test_full_connect_flow_strips_the_trailing_fragment(oauth, instagram_emulator):
    ig_user_id = instagram_emulator.add_account(username="acme_shop", account_type="MEDIA_CREATOR")
    # The emulator's consent page redirects like Instagram does, with "#_" after the code.
    consent = httpx.get(oauth.authorize_url("st"), follow_redirects=False)
    location = consent.headers["location"]
    assert location.startswith(REDIRECT) and location.endswith("#_")
    code = parse_qs(urlsplit(location).query)["code"][0] + "#_"

    short = oauth.exchange_code(code)
    assert short.platform_user_id == ig_user_id
    assert short.expires_in == 3600
    assert "instagram_business_manage_messages" in short.scopes
    sent = instagram_emulator.calls("POST", "/oauth/access_token")[0].form
    assert sent["code"] == code.removesuffix("#_")
    assert sent["grant_type"] == "authorization_code" and sent["redirect_uri"] == REDIRECT

    long = oauth.exchange_long_lived(short.access_token)
    assert long.access_token != short.access_token and long.expires_in == 60 * 24 * 3600
    assert "***" in repr(long) and long.access_token not in repr(long)

    profile = oauth.profile(long.access_token)
    assert (profile.id, profile.username, profile.account_type) == (ig_user_id, "acme_shop", "MEDIA_CREATOR")


def test_legacy_flat_token_answer(oauth, instagram_emulator):
    ig_user_id = instagram_emulator.add_account()
    instagram_emulator.flat_token_answer = True
    grant = oauth.exchange_code(instagram_emulator.issue_code(ig_user_id, REDIRECT))
    assert grant.platform_user_id == ig_user_id and grant.access_token


def test_used_code_is_refused_without_leaking_secrets(oauth, instagram_emulator):
    ig_user_id = instagram_emulator.add_account()
    code = instagram_emulator.issue_code(ig_user_id, REDIRECT)
    oauth.exchange_code(code)
    with pytest.raises(PlatformError) as exc:
        oauth.exchange_code(code)
    assert "used" in str(exc.value)
    assert code not in str(exc.value) and "ig-client-secret" not in str(exc.value)


def test_refresh_a_long_lived_token(oauth, instagram_emulator):
    ig_user_id = instagram_emulator.add_account()
    old = instagram_emulator.issue_token(ig_user_id, issued_at=datetime.now(UTC) - timedelta(days=2))
    grant = oauth.refresh(old)
    assert grant.access_token != old and grant.expires_in == 60 * 24 * 3600
    call = instagram_emulator.calls("GET", "/refresh_access_token")[0]
    assert call.query["grant_type"] == "ig_refresh_token"


def test_refresh_of_expired_token_is_token_expired(oauth, instagram_emulator):
    ig_user_id = instagram_emulator.add_account()
    token = instagram_emulator.issue_token(ig_user_id, issued_at=datetime.now(UTC) - timedelta(days=2))
    instagram_emulator.expire_token(token)
    with pytest.raises(TokenExpired) as exc:
        oauth.refresh(token)
    assert token not in str(exc.value)
