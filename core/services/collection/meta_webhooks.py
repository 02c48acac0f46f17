"""Meta (Instagram) webhooks: the subscription check, the signature, and storing what they carry.

Deliveries are verified over the raw body (X-Hub-Signature-256, HMAC-SHA256 with the app secret)
before anything is parsed. Comments, mentions, messages, story replies and story mentions are
stored through ingest (idempotent: Meta redelivers). `is_echo` messages are our own DMs: they
confirm delivery and are not inbound interactions. Anything unknown is logged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from core import job_names, jobs
from core.db import db, utcnow
from core.errors import Forbidden, Unauthorized
from core.i18n import _
from core.models import AccountStatus, DirectMessage, InteractionKind, InteractionSource, Platform, SocialAccount
from core.payloads import storable
from core.services.collection import ingest
from core.services.conversations import echoes, people
from core.services.targets import hot_path

log = logging.getLogger(__name__)

# Deliveries with more items than this are stored by a job, so Meta gets its 200 at once.
INLINE_LIMIT = 50
JOB_FUNC = job_names.PROCESS_META_DELIVERY
WEBHOOK = InteractionSource.WEBHOOK.value


@dataclass
class Outcome:
    received: int = 0
    stored: int = 0
    confirmed: int = 0
    ignored: int = 0
    deferred_job_id: str | None = None
    target_ids: set[int] = field(default_factory=set)
    workspace_ids: set[int] = field(default_factory=set)
    rescore_job_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "confirmed": self.confirmed,
            "ignored": self.ignored,
            "job_id": self.deferred_job_id,
        }


def answer_challenge(mode: str | None, token: str | None, challenge: str | None, *, verify_token: str) -> str:
    """The subscription check: echo `hub.challenge` when the verify token matches."""
    if mode != "subscribe" or not verify_token or not challenge:
        raise Forbidden(_("Not a valid subscription request."))
    if not hmac.compare_digest((token or "").encode(), verify_token.encode()):
        raise Forbidden(_("The verify token does not match."))
    return challenge


def verify_signature(raw_body: bytes, header: str | None, *, app_secret: str) -> None:
    """Raise Unauthorized unless `header` is sha256=HMAC(app secret, raw body); constant-time compare."""
    if not app_secret or not header or not header.startswith("sha256="):
        raise Unauthorized(_("Missing or invalid X-Hub-Signature-256."))
    expected = "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise Unauthorized(_("Missing or invalid X-Hub-Signature-256."))


def receive(payload: Any) -> Outcome:
    """Store a verified delivery now, or hand it to a job when it is large; never raises on odd content."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        log.info("meta webhook without entries ignored (object=%r)", _safe(payload, "object"))
        return Outcome(ignored=1)
    size = sum(
        len(_items(e.get("changes"))) + len(_items(e.get("messaging"))) for e in payload["entry"] if isinstance(e, dict)
    )
    if size > INLINE_LIMIT:
        run = jobs.enqueue(JOB_FUNC, payload, kind="meta-webhook", queue=jobs.QUEUE_DEFAULT)
        return Outcome(received=size, deferred_job_id=run.id)
    return process(payload)


def process(payload: dict[str, Any]) -> Outcome:
    """Store every interaction of a delivery and confirm our echoed DMs; commits once."""
    outcome = Outcome()
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            outcome.ignored += 1
            continue
        # An id the database cannot even compare (a NUL) names no account of ours.
        accounts = _accounts_for(storable(str(entry.get("id") or "")))
        entry_time = _time(entry.get("time")) or utcnow()
        for change in _items(entry.get("changes")):
            outcome.received += 1
            _isolated(outcome, _store_change, accounts, change, entry_time)
        for event in _items(entry.get("messaging")):
            outcome.received += 1
            if _is_echo(event, entry):
                _isolated(outcome, _confirm, accounts, event)
                continue
            _isolated(outcome, _store_message, accounts, event, entry_time)
    db.session.commit()
    # The people just flagged are rescored now, so a hot card follows the webhook within seconds.
    outcome.rescore_job_ids = hot_path.rescore_soon(outcome.workspace_ids)
    for account_id, target_ids in people.needing_lookup(outcome.target_ids).items():
        jobs.enqueue(people.JOB_FUNC, account_id, target_ids, kind="profile-lookup", queue=jobs.QUEUE_DEFAULT)
    return outcome


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _isolated(outcome: Outcome, work: Callable[..., None], *args: Any) -> None:
    """Run one item's writes in a savepoint: an item the database refuses is skipped (and logged), never the batch."""
    try:
        with db.session.begin_nested():
            work(outcome, *args)
    except (sa.exc.StatementError, ValueError) as exc:
        outcome.ignored += 1
        log.warning("meta webhook item skipped, the database refused it: %s", type(getattr(exc, "orig", exc)).__name__)


def _store_change(outcome: Outcome, accounts: list[SocialAccount], change: Any, entry_time: datetime) -> None:
    _store(accounts, _from_change(change, entry_time), outcome)


def _store_message(outcome: Outcome, accounts: list[SocialAccount], event: Any, entry_time: datetime) -> None:
    _store(accounts, _from_message(event, entry_time), outcome)


def _confirm(outcome: Outcome, accounts: list[SocialAccount], event: Any) -> None:
    outcome.confirmed += _confirm_echo(accounts, storable(event))


def _store(accounts: list[SocialAccount], item: ingest.Incoming | None, outcome: Outcome) -> None:
    if item is None or not accounts:
        outcome.ignored += 1
        return
    for account in accounts:
        stored = ingest.store(account, [item], source=WEBHOOK)
        outcome.stored += stored.new
        outcome.target_ids |= stored.target_ids
        if stored.target_ids:
            outcome.workspace_ids.add(account.workspace_id)


def _accounts_for(ig_user_id: str) -> list[SocialAccount]:
    """Our Instagram accounts with this id (one per workspace that connected it), disconnected ones aside."""
    if not ig_user_id:
        return []
    return list(
        db.session.scalars(
            sa.select(SocialAccount).where(
                SocialAccount.platform == Platform.INSTAGRAM.value,
                SocialAccount.platform_user_id == ig_user_id,
                SocialAccount.status != AccountStatus.DISCONNECTED.value,
            )
        )
    )


def _safe(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _time(value: Any) -> datetime | None:
    """Entry times are in seconds, messaging timestamps in milliseconds."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number > 1e11:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _from_change(change: Any, entry_time: datetime) -> ingest.Incoming | None:
    field_name, value = _safe(change, "field"), _safe(change, "value")
    if not isinstance(value, dict):
        log.info("meta webhook change %r without a value ignored", field_name)
        return None
    author = value.get("from") if isinstance(value.get("from"), dict) else {}
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    if field_name in ("comments", "live_comments"):
        comment_id = _str(value.get("id"))
        if comment_id is None:
            return None
        parent = _str(value.get("parent_id"))
        return ingest.Incoming(
            platform_id=comment_id,
            kind=(InteractionKind.REPLY if parent else InteractionKind.COMMENT).value,
            occurred_at=_time(value.get("timestamp")) or entry_time,
            author_platform_id=_str(author.get("id")),
            author_username=_str(author.get("username")),
            text=_str(value.get("text")),
            media_id=_str(media.get("id")),
            parent_platform_id=parent,
            raw=value,
        )
    if field_name == "mentions":
        mention_id = _str(value.get("comment_id")) or _str(value.get("media_id"))
        if mention_id is None or not (author.get("id") or author.get("username")):
            # Without an author there is no person to attach: the next collection reads the mention feed.
            log.info("meta webhook mention without author ignored; the mention feed will bring it")
            return None
        return ingest.Incoming(
            platform_id=mention_id,
            kind=InteractionKind.MENTION.value,
            occurred_at=entry_time,
            author_platform_id=_str(author.get("id")),
            author_username=_str(author.get("username")),
            text=_str(value.get("text")),
            media_id=_str(value.get("media_id")),
            raw=value,
        )
    log.info("meta webhook field %r ignored", field_name)
    return None


def _is_echo(event: Any, entry: dict) -> bool:
    message = _safe(event, "message")
    if isinstance(message, dict) and message.get("is_echo"):
        return True
    return _str(_safe(_safe(event, "sender"), "id")) == _str(entry.get("id")) and message is not None


def _from_message(event: Any, entry_time: datetime) -> ingest.Incoming | None:
    message = _safe(event, "message")
    sender = _str(_safe(_safe(event, "sender"), "id"))
    if not isinstance(message, dict) or not sender or not _str(message.get("mid")):
        log.info("meta webhook messaging event without a message ignored (reads, reactions, postbacks)")
        return None
    kind = InteractionKind.MESSAGE
    reply_to = message.get("reply_to") if isinstance(message.get("reply_to"), dict) else {}
    attachments = message.get("attachments") if isinstance(message.get("attachments"), list) else []
    if isinstance(reply_to.get("story"), dict):
        kind = InteractionKind.STORY_REPLY
    elif any(isinstance(a, dict) and a.get("type") == "story_mention" for a in attachments):
        kind = InteractionKind.STORY_MENTION
    return ingest.Incoming(
        platform_id=str(message["mid"]),
        kind=kind.value,
        occurred_at=_time(_safe(event, "timestamp")) or entry_time,
        author_platform_id=sender,
        text=_str(message.get("text")),
        raw=event,
    )


def _confirm_echo(accounts: list[SocialAccount], event: Any) -> int:
    """Mark our DM whose platform message id the echo carries as delivered (first echo wins).

    An echo that is none of our DMs is a message the team wrote in the Instagram app: it is stored as
    sent by the team, in the person's conversation.
    """
    mid = _str(_safe(_safe(event, "message"), "mid"))
    if not mid or not accounts:
        return 0
    ours = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(DirectMessage)
        .where(
            DirectMessage.platform_message_id == mid,
            DirectMessage.social_account_id.in_([a.id for a in accounts]),
        )
    )
    person = _str(_safe(_safe(event, "recipient"), "id"))
    if not ours and person:
        at = _time(_safe(event, "timestamp")) or utcnow()
        text = _str(_safe(_safe(event, "message"), "text"))
        return sum(echoes.record(a, mid=mid, person_id=person, text=text, at=at) for a in accounts)
    result = db.session.execute(
        sa.update(DirectMessage)
        .where(
            DirectMessage.platform_message_id == mid,
            DirectMessage.social_account_id.in_([a.id for a in accounts]),
            DirectMessage.delivery_confirmed_at.is_(None),
        )
        .values(delivery_confirmed_at=_time(_safe(event, "timestamp")) or utcnow())
    )
    return result.rowcount or 0
