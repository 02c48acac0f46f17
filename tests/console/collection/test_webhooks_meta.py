"""POST/GET /webhooks/meta: subscription check, signatures, idempotent storage, echoes, junk."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import DirectMessage, DoNotContact, Interaction, JobRun, Target
from tests.factories import make_account, make_target

SECRET = "meta-app-secret-for-tests"
VERIFY = "verify-me-please"
IG_ID = "17841400000000123"


@pytest.fixture
def app_config():
    return {"META_APP_SECRET": SECRET, "META_WEBHOOK_VERIFY_TOKEN": VERIFY}


@pytest.fixture
def account_id(app, factory):
    workspace_id = factory.workspace(factory.user())["id"]
    with app.app_context():
        return make_account(workspace_id, platform_user_id=IG_ID).id


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(client, payload, *, signature: str | None = "auto", raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        headers["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/webhooks/meta", data=body, headers=headers)


def comment_payload(comment_id="18000000000000001", text="how much?", user="u-alice", parent=None):
    value = {
        "from": {"id": user, "username": "alice"},
        "media": {"id": "media-9", "media_product_type": "FEED"},
        "id": comment_id,
        "text": text,
    }
    if parent:
        value["parent_id"] = parent
    return {
        "object": "instagram",
        "entry": [{"id": IG_ID, "time": int(time.time()), "changes": [{"field": "comments", "value": value}]}],
    }


def message_payload(mid="aWdfmid-1", text="hello", sender="u-bob", ts_ms=None, **message_extra):
    ts_ms = ts_ms or int(time.time() * 1000)
    return {
        "object": "instagram",
        "entry": [
            {
                "id": IG_ID,
                "time": ts_ms // 1000,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": IG_ID},
                        "timestamp": ts_ms,
                        "message": {"mid": mid, "text": text, **message_extra},
                    }
                ],
            }
        ],
    }


def _interactions():
    db.session.expire_all()
    return list(db.session.scalars(select(Interaction).order_by(Interaction.id)))


def test_subscription_check_echoes_the_challenge_only_with_the_right_token(client):
    ok = client.get(f"/webhooks/meta?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444")
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    wrong = client.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert wrong.status_code == 403 and "1" not in wrong.get_json()["error"]["message"]
    assert (
        client.get(f"/webhooks/meta?hub.mode=unsubscribe&hub.verify_token={VERIFY}&hub.challenge=1").status_code == 403
    )
    assert client.get("/webhooks/meta").status_code == 403


def test_duplicate_comment_webhooks_store_one_interaction(client, app, account_id):
    first = deliver(client, comment_payload())
    again = deliver(client, comment_payload())
    assert first.status_code == 200 and first.get_json()["stored"] == 1
    assert again.status_code == 200 and again.get_json()["stored"] == 0
    with app.app_context():
        rows = _interactions()
        assert len(rows) == 1
        assert (rows[0].kind, rows[0].source, rows[0].author_username, rows[0].has_intent) == (
            "comment",
            "webhook",
            "alice",
            True,
        )
        target = db.session.scalar(select(Target))
        assert target.interactions_count == 1 and target.comments_count == 1


def test_forged_or_missing_signatures_store_nothing(client, app, account_id):
    body = json.dumps(comment_payload()).encode()
    assert deliver(client, None, raw=body, signature=sign(body, "not-the-secret")).status_code == 401
    assert deliver(client, None, raw=body, signature=None).status_code == 401
    assert deliver(client, None, raw=body + b" ", signature=sign(body)).status_code == 401  # body changed
    assert deliver(client, None, raw=body, signature="sha1=" + sign(body)[7:]).status_code == 401
    response = deliver(client, None, raw=body, signature="sha256=zz")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    with app.app_context():
        assert _interactions() == []


def test_without_an_app_secret_every_delivery_is_refused(client, app, account_id):
    app.config["META_APP_SECRET"] = ""
    body = json.dumps(comment_payload()).encode()
    assert deliver(client, None, raw=body, signature=sign(body, "")).status_code == 401


def test_messages_open_the_24h_window_and_story_replies_and_mentions_are_kinds(client, app, account_id):
    sent_at_ms = int(time.time() * 1000) - 60_000
    assert deliver(client, message_payload(ts_ms=sent_at_ms)).get_json()["stored"] == 1
    deliver(client, message_payload(mid="aWdf-older", ts_ms=sent_at_ms - 3_600_000))  # arrives late, is older
    deliver(client, message_payload(mid="aWdf-story", text="so cool", reply_to={"story": {"id": "st1", "url": "x"}}))
    deliver(
        client,
        message_payload(
            mid="aWdf-tag", text=None, attachments=[{"type": "story_mention", "payload": {"url": "https://x"}}]
        ),
    )
    with app.app_context():
        kinds = sorted(r.kind for r in _interactions())
        assert kinds == ["message", "message", "story_mention", "story_reply"]
        bob = db.session.scalar(select(Target).where(Target.platform_user_id == "u-bob"))
        assert bob.messages_count == 3  # messages and story replies; a story mention is not a message
        assert bob.last_inbound_message_at is not None
        assert bob.last_inbound_message_at.timestamp() >= time.time() - 5  # the story reply, just now


def test_an_opt_out_message_blocks_the_person_and_cancels_drafts(client, app, account_id):
    with app.app_context():
        from core.models import SocialAccount

        account = db.session.get(SocialAccount, account_id)
        target = make_target(account, platform_user_id="u-carl")
        db.session.add(
            DirectMessage(
                workspace_id=account.workspace_id,
                social_account_id=account.id,
                target_id=target.id,
                kind="message",
                text="hi",
                status="draft",
            )
        )
        db.session.commit()
    deliver(client, message_payload(mid="aWdf-stop", text="STOP", sender="u-carl"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DoNotContact)) == 1
        assert db.session.scalar(select(DirectMessage.status)) == "cancelled"
        assert db.session.scalar(select(Target.opted_out_at).where(Target.platform_user_id == "u-carl"))


def test_echoes_confirm_our_dm_and_are_not_stored_as_inbound(client, app, account_id):
    with app.app_context():
        from core.models import SocialAccount

        account = db.session.get(SocialAccount, account_id)
        target = make_target(account, platform_user_id="u-dana")
        dm = DirectMessage(
            workspace_id=account.workspace_id,
            social_account_id=account.id,
            target_id=target.id,
            kind="message",
            text="hello",
            status="sent",
            platform_message_id="aWdf-ours",
            sent_at=utcnow(),
        )
        db.session.add(dm)
        db.session.commit()
    echo = message_payload(mid="aWdf-ours", text="hello", sender=IG_ID, is_echo=True)
    echo["entry"][0]["messaging"][0]["recipient"] = {"id": "u-dana"}
    answer = deliver(client, echo)
    assert answer.status_code == 200 and answer.get_json()["confirmed"] == 1
    with app.app_context():
        assert _interactions() == []
        assert db.session.scalar(select(DirectMessage.delivery_confirmed_at)) is not None


def test_unknown_fields_and_junk_are_ignored_never_a_500(client, app, account_id):
    junk = {
        "object": "instagram",
        "entry": [
            "not an entry",
            {
                "id": IG_ID,
                "time": "yesterday",
                "changes": [
                    {"field": "story_insights", "value": {"media_id": "1", "impressions": 4}},
                    {"field": "comments", "value": "oops"},
                    {"field": "comments", "value": {"text": "no id"}},
                    {"field": "mentions", "value": {"media_id": "m1", "comment_id": "c1"}},
                    "weird",
                ],
                "messaging": [{"read": {"mid": "x"}}, {"sender": {"id": "u"}, "message": "text"}, 7],
            },
            {"id": "someone-else", "changes": [{"field": "comments", "value": {"id": "1", "from": {"id": "u"}}}]},
        ],
    }
    for payload in (junk, {"object": "page"}, [], "text", None, {"entry": "x"}):
        response = deliver(client, payload)
        assert response.status_code == 200, (payload, response.get_json())
    assert deliver(client, None, raw=b"{not json").status_code == 200
    with app.app_context():
        assert _interactions() == []


def test_a_heavy_delivery_is_handed_to_a_job(client, app, account_id):
    changes = [
        comment_payload(comment_id=f"1800000000{i:07d}", user=f"u-{i}")["entry"][0]["changes"][0] for i in range(60)
    ]
    payload = {"object": "instagram", "entry": [{"id": IG_ID, "time": int(time.time()), "changes": changes}]}
    answer = deliver(client, payload)
    assert answer.status_code == 200 and answer.get_json()["job_id"]
    with app.app_context():
        run = db.session.get(JobRun, answer.get_json()["job_id"])
        assert run.kind == "meta-webhook" and run.status == "finished" and run.result["stored"] == 60
        assert len(_interactions()) == 60
