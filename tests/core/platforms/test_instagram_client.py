"""InstagramClient against the local Instagram emulator: reads, paging, sends and the platform's rules."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from core.platforms.base import (
    AlreadyReplied,
    OutsideMessagingWindow,
    PermissionMissing,
    PlatformClient,
    PlatformUnavailable,
    RateLimited,
    TokenExpired,
)
from core.platforms.instagram import InstagramClient
from core.platforms.usage import UsageTracker


class Sleeps(list):
    """Records the pauses a client asks for instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def account(instagram_emulator):
    ig_user_id = instagram_emulator.add_account(username="acme_shop", account_type="BUSINESS", name="Acme")
    token = instagram_emulator.issue_token(ig_user_id)
    return ig_user_id, token


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(instagram_emulator, account, sleeps):
    ig_user_id, token = account
    with InstagramClient(
        token,
        ig_user_id,
        api_url=instagram_emulator.api_url,
        api_version=instagram_emulator.api_version,
        timeout=2.0,
        sleep=sleeps,
    ) as client:
        yield client


def ago(**kwargs) -> datetime:
    return datetime.now(UTC) - timedelta(**kwargs)


def test_profile_and_protocol(client, account):
    profile = client.profile()
    assert profile.id == account[0]
    assert (profile.username, profile.account_type, profile.name) == ("acme_shop", "BUSINESS", "Acme")
    assert isinstance(client, PlatformClient)
    assert client.platform == "instagram" and client.supports_dm is True
    assert client.api_calls == 1


def test_media_paging_across_several_pages(client, instagram_emulator, account):
    instagram_emulator.page_size = 2
    ids = [instagram_emulator.add_media(account[0], f"post {i}", timestamp=ago(hours=10 - i)) for i in range(5)]
    instagram_emulator.add_comment(ids[4], "nice", "bob", "901")
    seen, cursor, pages = [], None, 0
    while True:
        page = client.list_media(cursor=cursor)
        pages += 1
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert [m.id for m in seen] == list(reversed(ids))  # newest first
    assert seen[0].comments_count == 1 and seen[0].caption == "post 4"
    assert seen[0].timestamp.tzinfo is not None and seen[0].permalink
    assert client.api_calls == 3
    assert "access_token" not in (cursor or "")


def test_media_since_filters_old_posts(client, instagram_emulator, account):
    instagram_emulator.add_media(account[0], "old", timestamp=ago(days=10))
    recent = instagram_emulator.add_media(account[0], "recent", timestamp=ago(hours=1))
    page = client.list_media(since=ago(days=2))
    assert [m.id for m in page.items] == [recent]


def test_comments_and_replies_paging(client, instagram_emulator, account):
    instagram_emulator.page_size = 2
    media = instagram_emulator.add_media(account[0], "post")
    top = [
        instagram_emulator.add_comment(media, f"c{i}", f"user{i}", f"90{i}", timestamp=ago(minutes=50 - i))
        for i in range(3)
    ]
    replies = [
        instagram_emulator.add_comment(media, f"r{i}", "carol", "777", timestamp=ago(minutes=20 - i), parent_id=top[0])
        for i in range(3)
    ]
    first = client.list_comments(media)
    assert [c.id for c in first.items] == top[:2] and first.next_cursor
    second = client.list_comments(media, cursor=first.next_cursor)
    assert [c.id for c in second.items] == top[2:] and second.next_cursor is None
    comment = first.items[0]
    assert (comment.text, comment.username, comment.user_id, comment.media_id) == ("c0", "user0", "900", media)
    assert comment.parent_id is None and comment.hidden is False and comment.raw["id"] == top[0]

    page = client.list_replies(top[0])
    got = list(page.items)
    while page.next_cursor:
        page = client.list_replies(top[0], cursor=page.next_cursor)
        got.extend(page.items)
    assert [r.id for r in got] == replies
    assert all(r.parent_id == top[0] and r.media_id == media and r.user_id == "777" for r in got)


def test_comment_pages_say_how_many_replies_each_comment_has(client, instagram_emulator, account):
    instagram_emulator.page_size = 2
    media = instagram_emulator.add_media(account[0], "post")
    quiet, one, many = (
        instagram_emulator.add_comment(media, f"c{i}", f"user{i}", f"90{i}", timestamp=ago(minutes=50 - i))
        for i in range(3)
    )
    instagram_emulator.add_comment(media, "r", "carol", "777", timestamp=ago(minutes=30), parent_id=one)
    for i in range(3):
        instagram_emulator.add_comment(media, f"r{i}", "dan", "778", timestamp=ago(minutes=20 - i), parent_id=many)

    first = client.list_comments(media)
    second = client.list_comments(media, cursor=first.next_cursor)

    counts = {c.id: c.reply_count for c in first.items + second.items}
    # No edge: none; a listed edge: its length; a first page of a longer thread (paging.next): unknown.
    assert counts == {quiet: 0, one: 1, many: None}
    assert "replies{id}" in instagram_emulator.calls(path_contains="/comments")[0].query["fields"]
    assert client.list_replies(many).items[0].reply_count is None  # replies pages do not ask


def test_mentions_are_comments_with_the_media_id(client, instagram_emulator, account):
    mention = instagram_emulator.add_mention(account[0], "Love @acme_shop", "dave")
    page = client.list_mentions()
    assert len(page.items) == 1
    item = page.items[0]
    assert (item.id, item.media_id, item.text, item.username) == (mention, mention, "Love @acme_shop", "dave")


def test_private_reply_once_then_refused(client, instagram_emulator, account):
    media = instagram_emulator.add_media(account[0], "post")
    comment = instagram_emulator.add_comment(media, "price?", "erin", "555", timestamp=ago(days=2))
    result = client.send_private_reply(comment, "Hi Erin!")
    assert result.message_id and result.recipient_id == "555"
    with pytest.raises(AlreadyReplied) as refused:
        client.send_private_reply(comment, "Hi again")
    assert isinstance(refused.value, OutsideMessagingWindow)
    assert refused.value.code == 10 and refused.value.subcode == 2534014
    assert [m["text"] for m in instagram_emulator.sent_messages] == ["Hi Erin!"]


def test_private_reply_to_comment_older_than_7_days_refused(client, instagram_emulator, account):
    media = instagram_emulator.add_media(account[0], "post", timestamp=ago(days=30))
    comment = instagram_emulator.add_comment(media, "old", "fred", "556", timestamp=ago(days=7, minutes=1))
    with pytest.raises(OutsideMessagingWindow) as refused:
        client.send_private_reply(comment, "Too late")
    assert refused.value.subcode == 2534022
    assert instagram_emulator.sent_messages == []


def test_message_only_within_24h_of_last_inbound(client, instagram_emulator, account):
    instagram_emulator.add_inbound_message(account[0], "600", "hello", timestamp=ago(hours=25))
    with pytest.raises(OutsideMessagingWindow):
        client.send_message("600", "Hi")
    instagram_emulator.add_inbound_message(account[0], "600", "still there?", timestamp=ago(hours=2))
    result = client.send_message("600", "Hi")
    assert result.recipient_id == "600"
    assert len(instagram_emulator.sent_messages) == 1
    with pytest.raises(OutsideMessagingWindow):
        client.send_message("601", "cold DM")


def test_expired_token_is_token_expired(client, instagram_emulator, account):
    instagram_emulator.expire_token(account[1])
    with pytest.raises(TokenExpired) as exc:
        client.profile()
    assert exc.value.code == 190 and exc.value.subcode == 463
    assert account[1] not in str(exc.value)


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_throttling_codes_are_rate_limited_with_regain_time(client, instagram_emulator, code):
    instagram_emulator.rate_limit_next(code=code, regain_minutes=3)
    with pytest.raises(RateLimited) as exc:
        client.profile()
    assert exc.value.code == code
    assert exc.value.retry_after == 180
    assert client.api_calls == 1  # never retried


def test_http_429_uses_retry_after(client, instagram_emulator):
    instagram_emulator.rate_limit_next(retry_after=42)
    with pytest.raises(RateLimited) as exc:
        client.profile()
    assert exc.value.retry_after == 42 and exc.value.status == 429


def test_rate_limit_without_hint_has_a_default(client, instagram_emulator):
    instagram_emulator.rate_limit_next(code=4)
    with pytest.raises(RateLimited) as exc:
        client.profile()
    assert exc.value.retry_after == 60


def test_permission_error(client, instagram_emulator):
    instagram_emulator.error_next(200, message="(#200) Requires instagram_business_manage_comments permission")
    with pytest.raises(PermissionMissing):
        client.profile()


def test_get_is_retried_after_500(client, instagram_emulator, sleeps):
    instagram_emulator.fail_next(2)
    assert client.profile().username == "acme_shop"
    assert len(instagram_emulator.calls("GET", "/me")) == 3
    assert client.api_calls == 3 and len(sleeps) == 2  # backoff between attempts


def test_get_gives_up_after_two_retries(client, instagram_emulator):
    instagram_emulator.fail_next(3)
    with pytest.raises(PlatformUnavailable) as exc:
        client.profile()
    assert exc.value.outcome_unknown is False
    assert len(instagram_emulator.calls("GET")) == 3


def test_post_is_never_retried(client, instagram_emulator, account):
    media = instagram_emulator.add_media(account[0], "post")
    comment = instagram_emulator.add_comment(media, "hi", "gina", "557")
    instagram_emulator.fail_next(1, method="POST")
    with pytest.raises(PlatformUnavailable) as exc:
        client.send_private_reply(comment, "Hello")
    assert exc.value.outcome_unknown is True
    assert len(instagram_emulator.calls("POST")) == 1
    assert instagram_emulator.sent_messages == []


def test_timeout_is_platform_unavailable(instagram_emulator, account, sleeps):
    client = InstagramClient(
        account[1], account[0], api_url=instagram_emulator.api_url, api_version="v23.0", timeout=0.2, sleep=sleeps
    )
    instagram_emulator.delay_next(0.6, count=3)
    with pytest.raises(PlatformUnavailable):
        client.profile()
    assert client.api_calls == 3


def test_send_timeout_is_not_retried_and_outcome_unknown(client, instagram_emulator, account):
    client.http.client.timeout = 0.2
    instagram_emulator.add_inbound_message(account[0], "610", "hey")
    instagram_emulator.delay_next(0.6, method="POST")
    with pytest.raises(PlatformUnavailable) as exc:
        client.send_message("610", "Hi")
    assert exc.value.outcome_unknown is True
    assert len(instagram_emulator.calls("POST")) == 1


def test_high_usage_makes_the_client_pause(instagram_emulator, account, sleeps):
    usage = UsageTracker()
    client = InstagramClient(
        account[1], account[0], api_url=instagram_emulator.api_url, api_version="v23.0", usage=usage, sleep=sleeps
    )
    instagram_emulator.set_usage(50)
    client.profile()
    client.profile()
    assert sleeps == []
    instagram_emulator.set_usage(95)
    client.profile()  # learns the usage from this answer's headers
    client.profile()
    assert len(sleeps) == 1 and 1 < sleeps[0] <= 30


def test_blocked_account_raises_instead_of_sleeping_long(instagram_emulator, account, sleeps):
    usage = UsageTracker()
    client = InstagramClient(
        account[1], account[0], api_url=instagram_emulator.api_url, api_version="v23.0", usage=usage, sleep=sleeps
    )
    instagram_emulator.rate_limit_next(code=4, regain_minutes=10)
    with pytest.raises(RateLimited):
        client.profile()
    with pytest.raises(RateLimited) as again:
        client.profile()
    assert again.value.retry_after > 500
    assert client.api_calls == 1  # the second call never left the process
    assert sleeps == []


def test_no_secret_in_errors_or_logs(instagram_emulator, account, caplog):
    from flask import Flask

    from core.logs import init_logging

    token = account[1]
    client = InstagramClient(token, account[0], api_url=instagram_emulator.api_url, api_version="v23.0")
    instagram_emulator.error_next(100, message=f"Bad request for access_token={token}")
    init_logging(Flask(__name__))  # the logging every VistaFlow process sets up when its app is built
    # httpx is quiet in production; make it talk, to prove what it would say is scrubbed.
    caplog.set_level(logging.DEBUG, logger="httpx")
    with pytest.raises(Exception) as exc:
        client.profile()
    assert token not in str(exc.value) and token not in repr(exc.value)
    client.profile()
    assert caplog.records, "httpx should have logged the requests"
    assert all(token not in record.getMessage() for record in caplog.records)
    assert token not in repr(client)


def test_conversations_list_inbound_and_sent_messages(client, instagram_emulator, account):
    instagram_emulator.page_size = 1
    instagram_emulator.add_inbound_message(account[0], "700", "first", timestamp=ago(hours=3), username="hana")
    instagram_emulator.add_inbound_message(account[0], "701", "other", timestamp=ago(hours=2), username="ivan")
    client.send_message("700", "answer")
    first = client.list_conversations()
    assert len(first.items) == 1 and first.next_cursor
    convo = first.items[0]
    assert set(convo.participant_ids) == {account[0], "700"}
    assert [m.text for m in convo.messages] == ["answer", "first"]
    inbound = convo.messages[1]
    assert (inbound.from_id, inbound.from_username, inbound.to_id) == ("700", "hana", account[0])
    second = client.list_conversations(cursor=first.next_cursor)
    assert [c.messages[0].from_id for c in second.items] == ["701"] and second.next_cursor is None
    assert instagram_emulator.calls("GET", "/conversations")[0].query["platform"] == "instagram"
