"""Idempotency-Key: the first answer to a request is stored and replayed for its retries."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.errors import Invalid
from core.models import IdempotencyRecord

MAX_KEY = 200


def request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise Invalid("The Idempotency-Key is not valid.", fields={"Idempotency-Key": f"1 to {MAX_KEY} characters."})
    return key


def replay(user_id: int, scope: str, key: str, payload: Any) -> tuple[int, dict] | None:
    """The stored (status, body) for this key, or None; Invalid when the key was used for another request."""
    record = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != request_hash(payload):
        raise Invalid(
            "This Idempotency-Key was used for a different request.",
            fields={"Idempotency-Key": "Use a new key for a new request."},
        )
    return record.status_code, record.response


def remember(user_id: int, scope: str, key: str, payload: Any, status: int, body: dict) -> None:
    """Store the first answer (commits); a concurrent twin that stored first wins."""
    db.session.add(
        IdempotencyRecord(
            user_id=user_id, scope=scope, key=key, request_hash=request_hash(payload), status_code=status, response=body
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
