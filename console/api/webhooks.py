"""/webhooks/meta: Meta's subscription check and signed deliveries (no user auth: the signature is)."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, request
from pydantic import ConfigDict, Field

from console.api.schemas import In, Out
from console.api.spec import operation
from core.services.collection import meta_webhooks as webhooks_meta

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


class ChallengeQuery(In):
    # Meta may add parameters; only the three below matter.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    mode: str | None = Field(None, alias="hub.mode", max_length=32)
    verify_token: str | None = Field(None, alias="hub.verify_token", max_length=512)
    challenge: str | None = Field(None, alias="hub.challenge", max_length=512)


class WebhookBatchOut(Out):
    received: int
    stored: int
    confirmed: int
    ignored: int
    job_id: str | None


@operation(
    bp,
    "GET",
    "/meta",
    summary="Meta webhook subscription check (echoes hub.challenge)",
    query=ChallengeQuery,
    auth=False,
    errors=(403,),
    content_type="text/plain",
)
def meta_challenge(query: ChallengeQuery):
    challenge = webhooks_meta.answer_challenge(
        query.mode,
        query.verify_token,
        query.challenge,
        verify_token=current_app.config.get("META_WEBHOOK_VERIFY_TOKEN", ""),
    )
    return Response(challenge, status=200, mimetype="text/plain")


@operation(
    bp,
    "POST",
    "/meta",
    summary="Meta webhook delivery, signed with X-Hub-Signature-256",
    response=WebhookBatchOut,
    auth=False,
    errors=(401,),
)
def meta_delivery():
    raw = request.get_data(cache=True)
    webhooks_meta.verify_signature(
        raw, request.headers.get("X-Hub-Signature-256"), app_secret=current_app.config.get("META_APP_SECRET", "")
    )
    try:
        payload = json.loads(raw or b"null")
    except ValueError:
        log.info("meta webhook with a body that is not JSON ignored")
        payload = None
    return webhooks_meta.receive(payload).as_dict()
