"""InstagramClient's conversation calls against the emulator: messages (HUMAN_AGENT), public replies, hide,
delete, one conversation's messages, errors as actions, and Meta's per-account pacing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.platforms.base import OutsideMessagingWindow, RateLimited, RecipientUnavailable, TokenExpired
from core.platforms.instagram import HUMAN_AGENT, InstagramClient
from core.platforms.pacing import CONVERSATIONS_API, PRIVATE_REPLIES, Limit, Pacer


class FakeClock:
    """Time that moves only when the client sleeps: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def ig(instagram_emulator):
    ig_user_id = instagram_emulator.add_account(username="maison")
    return ig_user_id, instagram_emulator.issue_token(ig_user_id)


@pytest.fixture
def client(instagram_emulator, ig, clock):
    ig_user_id, token = ig
    with InstagramClient(
        token,
        ig_user_id,
        api_url=instagram_emulator.api_url,
        api_version=instagram_emulator.api_version,
        sleep=clock.sleep,
        pacer=Pacer(None, clock=clock),
    ) as client:
        yield client


def ago(**kwargs) -> datetime:
    return datetime.now(UTC) - timedelta(**kwargs)


def test_human_agent_message_reaches_a_person_after_24h_only_with_the_tag(client, ig, instagram_emulator):
    ig_user_id, _ = ig
    instagram_emulator.add_inbound_message(ig_user_id, "igsid-1", "bonjour", timestamp=ago(hours=40))
    with pytest.raises(OutsideMessagingWindow):
        client.send_message("igsid-1", "Toujours intéressée ?")
    instagram_emulator.human_agent_granted = True
    result = client.send_message("igsid-1", "Toujours intéressée ?", tag=HUMAN_AGENT)
    [sent] = instagram_emulator.sent_messages
    assert (sent["message_id"], sent["text"]) == (result.message_id, "Toujours intéressée ?")
    instagram_emulator.add_inbound_message(ig_user_id, "igsid-2", "hi", timestamp=ago(days=8))
    with pytest.raises(OutsideMessagingWindow):
        client.send_message("igsid-2", "late", tag=HUMAN_AGENT)


def test_public_reply_hide_unhide_and_delete_our_reply(client, ig, instagram_emulator):
    ig_user_id, _ = ig
    media = instagram_emulator.add_media(ig_user_id, "Coffret")
    comment = instagram_emulator.add_comment(media, "combien ?", "lea", "igsid-lea")
    reply_id = client.reply_to_comment(comment, "29 €, en DM !")
    assert instagram_emulator.public_replies == [{"comment_id": comment, "id": reply_id, "text": "29 €, en DM !"}]
    client.set_comment_hidden(comment, True)
    client.set_comment_hidden(comment, False)
    assert instagram_emulator.hide_calls == [(comment, True), (comment, False)]
    client.delete_comment(reply_id)
    assert instagram_emulator.deleted_comments == [reply_id]
    with pytest.raises(Exception, match="own comments"):
        client.delete_comment(comment)


def test_one_conversations_messages(client, ig, instagram_emulator):
    ig_user_id, _ = ig
    instagram_emulator.add_inbound_message(ig_user_id, "igsid-9", "je veux le coffret", username="marie")
    [conversation] = client.list_conversations().items
    thread = client.conversation_messages(conversation.id)
    assert [(m.from_id, m.text) for m in thread.messages] == [("igsid-9", "je veux le coffret")]


def test_errors_read_as_actions(client, ig, instagram_emulator):
    ig_user_id, _ = ig
    instagram_emulator.add_inbound_message(ig_user_id, "igsid-b", "hi")
    instagram_emulator.unavailable.add("igsid-b")
    with pytest.raises(RecipientUnavailable) as unavailable:
        client.send_message("igsid-b", "hello")
    assert unavailable.value.code == 551
    assert isinstance(unavailable.value, OutsideMessagingWindow)  # the sender's existing handling still applies
    instagram_emulator.error_next(190, message="Error validating access token")
    with pytest.raises(TokenExpired):
        client.conversation_messages("aWdfY29udjoanything")
    for code in (4, 17, 32, 613):
        instagram_emulator.error_next(code, message="Application request limit reached")
        with pytest.raises(RateLimited):
            client.send_message("igsid-b", "hello")


def test_pacing_keeps_each_account_within_metas_limits(client, clock):
    for _ in range(5):
        client.list_conversations()
    # 2 calls per second: five calls take two waits until the oldest slot frees.
    assert len(clock.sleeps) == 2 and all(0 < s <= 1.0 for s in clock.sleeps)
    pacer = Pacer(None, clock=clock)
    for _ in range(PRIVATE_REPLIES.calls):
        assert pacer.reserve("acct", PRIVATE_REPLIES) == 0
    assert pacer.reserve("acct", PRIVATE_REPLIES) == pytest.approx(3600.0)
    assert pacer.reserve("other", PRIVATE_REPLIES) == 0  # per account
    with pytest.raises(RateLimited):
        pacer.wait_for_slot("acct", PRIVATE_REPLIES, sleep=clock.sleep, max_wait=30)
    assert Limit("conversations", 2, 1.0) == CONVERSATIONS_API


def test_pacing_is_shared_through_redis(redis_client, clock):
    one, two = Pacer(redis_client, clock=clock), Pacer(redis_client, clock=clock)
    assert one.reserve("acct", CONVERSATIONS_API) == 0
    assert two.reserve("acct", CONVERSATIONS_API) == 0
    assert one.reserve("acct", CONVERSATIONS_API) == pytest.approx(1.0)
    clock.now += 1.01
    assert two.reserve("acct", CONVERSATIONS_API) == 0
