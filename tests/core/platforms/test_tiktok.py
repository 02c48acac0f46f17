"""TikTokClient and TikTokOAuth against the TikTok emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.platforms import factory
from core.platforms.base import (
    DMNotSupported,
    PermissionMissing,
    PlatformClient,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    TokenExpired,
)
from core.platforms.tiktok import TikTokClient
from core.platforms.usage import UsageTracker

REDIRECT = "https://app.example.com/social-accounts/tiktok/callback"


def ago(**kwargs) -> datetime:
    return datetime.now(UTC) - timedelta(**kwargs)


@pytest.fixture
def oauth(tiktok_emulator):
    return factory.tiktok_oauth(tiktok_emulator.config() | {"TIKTOK_REDIRECT_URI": REDIRECT})


@pytest.fixture
def account(tiktok_emulator):
    open_id = tiktok_emulator.add_account(username="acme.tt", display_name="Acme TT")
    return open_id, tiktok_emulator.issue_token(open_id)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(tiktok_emulator, account, sleeps):
    with TikTokClient(account[1], account[0], api_url=tiktok_emulator.api_url, timeout=2.0, sleep=sleeps.append) as c:
        yield c


def test_authorize_url(oauth, tiktok_emulator):
    parts = urlsplit(oauth.authorize_url("st-1"))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == tiktok_emulator.authorize_url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_key"] == "tt-client-key" and query["state"] == "st-1"
    assert query["response_type"] == "code" and query["redirect_uri"] == REDIRECT
    assert {"video.list", "comment.list"} <= set(query["scope"].split(","))


def test_code_exchange_profile_and_rotating_refresh(oauth, tiktok_emulator):
    open_id = tiktok_emulator.add_account(username="acme.tt", display_name="Acme TT")
    consent = httpx.get(oauth.authorize_url("st"), follow_redirects=False)
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]

    grant = oauth.exchange_code(code)
    assert grant.platform_user_id == open_id
    assert grant.refresh_token and grant.expires_in == 86400 and grant.refresh_expires_in
    assert "comment.list" in grant.scopes
    body = tiktok_emulator.calls("POST", "tt_user/oauth2/token")[0].json
    assert body["auth_code"] == code and body["grant_type"] == "authorization_code"

    profile = oauth.profile(grant.access_token, grant.platform_user_id)
    assert (profile.id, profile.username, profile.name, profile.account_type) == (
        open_id,
        "acme.tt",
        "Acme TT",
        "BUSINESS",
    )

    renewed = oauth.refresh(grant.refresh_token)
    assert renewed.refresh_token != grant.refresh_token and renewed.access_token != grant.access_token
    with pytest.raises(PlatformError) as reused:
        oauth.refresh(grant.refresh_token)  # rotated: the old refresh token is dead
    assert reused.value.code == 40103
    assert grant.refresh_token not in str(reused.value) and "tt-client-secret" not in str(reused.value)
    assert oauth.refresh(renewed.refresh_token).access_token


def test_bad_code_is_a_platform_error(oauth, tiktok_emulator):
    with pytest.raises(PlatformError) as exc:
        oauth.exchange_code("nope")
    assert exc.value.code == 40110


def test_client_protocol_and_profile(client, account):
    assert isinstance(client, PlatformClient)
    assert client.platform == "tiktok" and client.supports_dm is False
    assert client.profile().username == "acme.tt"


def test_video_paging_and_since(client, tiktok_emulator, account):
    tiktok_emulator.page_size = 2
    ids = [tiktok_emulator.add_video(account[0], f"v{i}", create_time=ago(days=5 - i)) for i in range(5)]
    tiktok_emulator.add_comment(ids[4], "wow", "zoe", "u1")
    seen, cursor, pages = [], None, 0
    while True:
        page = client.list_media(cursor=cursor)
        seen.extend(page.items)
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break
    assert pages == 3 and [m.id for m in seen] == list(reversed(ids))
    assert seen[0].comments_count == 1 and seen[0].permalink.endswith(ids[4])
    assert seen[0].timestamp.tzinfo is not None

    first = client.list_media(since=ago(days=2, hours=12))
    assert [m.id for m in first.items] == [ids[4], ids[3]] and first.next_cursor
    rest = client.list_media(since=ago(days=2, hours=12), cursor=first.next_cursor)
    assert rest.items == [] and rest.next_cursor is None  # older videos end the paging


def test_comment_and_reply_paging(client, tiktok_emulator, account):
    tiktok_emulator.page_size = 2
    video = tiktok_emulator.add_video(account[0], "v")
    top = [
        tiktok_emulator.add_comment(video, f"c{i}", f"user{i}", f"u{i}", timestamp=ago(minutes=30 - i))
        for i in range(3)
    ]
    hidden = tiktok_emulator.add_comment(video, "spam", "bot", "ub", timestamp=ago(minutes=1), hidden=True)
    replies = [
        tiktok_emulator.add_comment(video, f"r{i}", "yan", "uy", timestamp=ago(minutes=10 - i), parent_id=top[0])
        for i in range(3)
    ]
    got, cursor = [], None
    while True:
        page = client.list_comments(video, cursor=cursor)
        got.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    assert [c.id for c in got] == [*top, hidden]
    assert got[0].parent_id is None and got[0].media_id == video and got[0].user_id == "u0"
    assert got[-1].hidden is True

    with pytest.raises(ValueError):
        client.list_replies(top[0])
    page = client.list_replies(top[0], media_id=video)
    more = client.list_replies(top[0], cursor=page.next_cursor, media_id=video)
    assert [r.id for r in page.items + more.items] == replies
    assert all(r.parent_id == top[0] for r in page.items)


def test_no_mentions_and_no_dms_without_any_http_call(client):
    assert client.list_mentions().items == []
    with pytest.raises(DMNotSupported):
        client.send_private_reply("123", "hi")
    with pytest.raises(DMNotSupported):
        client.send_message("123", "hi")
    assert client.api_calls == 0


def test_error_codes(client, tiktok_emulator, account):
    tiktok_emulator.rate_limit_next()
    with pytest.raises(RateLimited) as limited:
        client.profile()
    assert limited.value.code == 40100 and limited.value.retry_after == 60

    tiktok_emulator.rate_limit_next(http_429=True, retry_after=7)
    with pytest.raises(RateLimited) as limited:
        client.profile()
    assert limited.value.retry_after == 7

    tiktok_emulator.error_next(40001, "No permission")
    with pytest.raises(PermissionMissing):
        client.profile()

    tiktok_emulator.expire_token(account[1])
    with pytest.raises(TokenExpired) as expired:
        client.profile()
    assert expired.value.code == 40102 and account[1] not in str(expired.value)


def test_revoked_token(tiktok_emulator, account):
    client = TikTokClient("act.revoked", account[0], api_url=tiktok_emulator.api_url)
    with pytest.raises(TokenExpired) as exc:
        client.profile()
    assert exc.value.code == 40105


def test_reads_retried_on_5xx_then_give_up(client, tiktok_emulator, sleeps):
    tiktok_emulator.fail_next(2)
    assert client.profile().username == "acme.tt"
    assert client.api_calls == 3 and len(sleeps) == 2
    tiktok_emulator.error_next(50002, "Service temporarily unavailable", count=3)
    with pytest.raises(PlatformUnavailable):
        client.profile()
    assert client.api_calls == 6


def test_timeout(tiktok_emulator, account):
    with TikTokClient(account[1], account[0], api_url=tiktok_emulator.api_url, timeout=0.2, sleep=lambda s: None) as c:
        tiktok_emulator.delay_next(0.6, count=3)
        with pytest.raises(PlatformUnavailable):
            c.profile()


def test_rate_limit_blocks_the_account_for_other_clients(tiktok_emulator, account):
    usage = UsageTracker()
    tiktok_emulator.rate_limit_next(retry_after=120, http_429=True)
    first = TikTokClient(account[1], account[0], api_url=tiktok_emulator.api_url, usage=usage)
    with pytest.raises(RateLimited):
        first.profile()
    second = TikTokClient(account[1], account[0], api_url=tiktok_emulator.api_url, usage=usage)
    with pytest.raises(RateLimited):
        second.profile()
    assert second.api_calls == 0
