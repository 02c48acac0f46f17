"""What HubSpot and Pipedrive share: a paced JSON client, the lead's CRM view, and the stage mapping.

Both publish rate limits in response headers. The client remembers, per token, when a window with no
requests left resets and waits for it before the next call; a 429 is waited out inline when the wait
fits one window (HubSpot's is 10 seconds), else the delivery is rescheduled for then (not failed).
A 401 or 403 means the credentials no longer work: the integration is disabled with a readable reason.
"""

from __future__ import annotations

import hashlib
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

import httpx
from sqlalchemy import delete, select

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.integrations.base import VENDOR_TIMEOUT, DeliveryError, error_message, json_call, raise_for_status
from core.models import ExternalRecord, Integration, Interaction, LeadStatus, Target

MAX_INLINE_WAIT = 11.0  # one full 10-second window, plus a little
INLINE_RETRIES = 2
STATUSES = [s.value for s in LeadStatus]
TEST_HANDLE_PREFIX = "vistaflow-test:"

_resume_at: dict[str, float] = {}
_resume_lock = threading.Lock()


class CrmClient(ABC):
    """JSON calls to one CRM with its credentials; subclasses read their vendor's limit headers."""

    vendor = "CRM"

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url
        self.key = hashlib.sha256(f"{api_url}\0{token}".encode()).hexdigest()
        self.http = httpx.Client(
            timeout=VENDOR_TIMEOUT,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            headers=headers or {},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CrmClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ limits

    @abstractmethod
    def window_wait(self, response: httpx.Response) -> float | None:
        """Seconds until the vendor accepts calls again, from its headers (None when it says nothing)."""

    @abstractmethod
    def exhausted(self, response: httpx.Response) -> bool:
        """Whether the answer says no request is left in the current window."""

    def _pace(self) -> None:
        with _resume_lock:
            wait = _resume_at.get(self.key, 0.0) - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, MAX_INLINE_WAIT))

    def _hold(self, seconds: float) -> None:
        with _resume_lock:
            _resume_at[self.key] = max(_resume_at.get(self.key, 0.0), time.monotonic() + seconds)

    # ------------------------------------------------------------ calls

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        allow_404: bool = False,
    ) -> tuple[int, Any]:
        """One call; 429 waited out (or rescheduled), 401/403 disable, 404 returned when allowed."""
        for attempt in range(INLINE_RETRIES + 1):
            self._pace()
            response, body = json_call(
                self.http, method, self.api_url + path, json=json_body, params=params, what=self.vendor
            )
            code = response.status_code
            wait = self.window_wait(response)
            if code == 429 or self.exhausted(response):
                self._hold(wait if wait is not None else 1.0)
            if code == 429:
                if attempt < INLINE_RETRIES and wait is not None and wait <= MAX_INLINE_WAIT:
                    continue
                detail = error_message(body) or "rate limit reached"
                raise DeliveryError(
                    f"{self.vendor} answered 429: {detail}", response_code=429, retry_after=wait if wait else 10.0
                )
            if code in (401, 403):
                detail = error_message(body) or "credentials refused"
                raise DeliveryError(
                    f"{self.vendor} refused the credentials ({code}: {detail}). Replace the token in the "
                    "integration's settings, then enable it again.",
                    response_code=code,
                    disable=True,
                )
            if code == 404 and allow_404:
                return 404, body
            raise_for_status(response, body, what=self.vendor)
            return code, body
        raise DeliveryError(f"{self.vendor} kept answering 429.", response_code=429, retry_after=10.0)


def invalid_credentials(vendor: str, exc: DeliveryError) -> Invalid:
    """A setup-time failure as a 422 naming the field to fix."""
    if exc.response_code in (401, 403):
        return Invalid(_("%(vendor)s refused the token.", vendor=vendor), fields={"config.token": exc.message})
    return Invalid(
        _("%(vendor)s could not be reached: %(message)s", vendor=vendor, message=exc.message),
        fields={"config.token": exc.message},
    )


def clean_token(token: Any, vendor: str) -> str:
    if not isinstance(token, str) or not (8 <= len(token.strip()) <= 500):
        raise Invalid(
            _("A %(vendor)s integration needs its API token.", vendor=vendor),
            fields={"config.token": _("Paste the token.")},
        )
    return token.strip()


# ------------------------------------------------------------------ what a CRM receives about a lead


def lead_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The lead snapshot plus what CRMs also show: the score's reasons, the last comment and its post."""
    target = db.session.get(Target, snapshot["target_id"]) if snapshot.get("target_id") else None
    comment = None
    if target is not None:
        comment = db.session.scalar(
            select(Interaction)
            .where(Interaction.target_id == target.id, Interaction.text.is_not(None))
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(1)
        )
    return {
        **snapshot,
        "handle": f"{snapshot.get('platform')}:{snapshot.get('username')}",
        "reasons": list(target.score_reasons or []) if target else [],
        "last_comment": comment.text if comment else None,
        "post_url": comment.media_permalink if comment else None,
    }


# ------------------------------------------------------------------ stage mapping


def default_stage_map(stages: list[dict[str, Any]]) -> dict[str, str]:
    """Lead statuses onto a pipeline's stages: open ones in order, won/lost onto the closing stages."""
    if not stages:
        return {}
    open_ = [s for s in stages if not s.get("won") and not s.get("lost")] or stages
    won = next((s for s in stages if s.get("won")), stages[-1])
    lost = next((s for s in stages if s.get("lost")), stages[-1])
    mapping = {}
    for index, status in enumerate(["new", "contacted", "replied", "qualified"]):
        mapping[status] = str(open_[min(index, len(open_) - 1)]["id"])
    mapping["won"], mapping["lost"] = str(won["id"]), str(lost["id"])
    return mapping


def clean_deal_settings(config: dict[str, Any], pipelines: list[dict[str, Any]]) -> dict[str, Any]:
    """{create_deals, pipeline_id, stage_map}: the pipeline must exist and each stage belong to it."""
    create_deals = config.get("create_deals", True)
    if not isinstance(create_deals, bool):
        raise Invalid(_("create_deals must be true or false."), fields={"config.create_deals": _("true or false.")})
    if not create_deals:
        return {"create_deals": False, "pipeline_id": None, "stage_map": {}}
    if not pipelines:
        raise Invalid(_("The CRM has no deal pipeline."), fields={"config.pipeline_id": _("Create a pipeline first.")})
    wanted = config.get("pipeline_id")
    if wanted in (None, ""):
        pipeline = pipelines[0]
    else:
        pipeline = next((p for p in pipelines if str(p["id"]) == str(wanted)), None)
        if pipeline is None:
            names = ", ".join(f"{p['id']} ({p['label']})" for p in pipelines)
            raise Invalid(_("Unknown pipeline."), fields={"config.pipeline_id": _("One of: %(names)s.", names=names)})
    stage_ids = {str(s["id"]) for s in pipeline["stages"]}
    mapping = default_stage_map(pipeline["stages"])
    given = config.get("stage_map") or {}
    if not isinstance(given, dict):
        raise Invalid(_("The stage mapping must be an object."), fields={"config.stage_map": _("status -> stage id.")})
    for status, stage in given.items():
        if status not in STATUSES:
            raise Invalid(
                _("Unknown lead status in the mapping."), fields={f"config.stage_map.{status}": _("Not a status.")}
            )
        if str(stage) not in stage_ids:
            raise Invalid(
                _("A stage of the mapping is not in the chosen pipeline."),
                fields={
                    f"config.stage_map.{status}": _("Not a stage of pipeline %(pipeline)s.", pipeline=pipeline["label"])
                },
            )
        mapping[status] = str(stage)
    return {"create_deals": True, "pipeline_id": str(pipeline["id"]), "stage_map": mapping}


# ------------------------------------------------------------------ records of what was created


def records_of(integration: Integration, lead_id: int) -> dict[str, ExternalRecord]:
    """The contact/person, deal and note created for a lead, by their role ("contact", "deal", "note")."""
    prefix = f"lead:{lead_id}:"
    rows = db.session.scalars(
        select(ExternalRecord).where(
            ExternalRecord.integration_id == integration.id, ExternalRecord.subject_key.startswith(prefix)
        )
    )
    return {row.subject_key.removeprefix(prefix): row for row in rows}


def remember(integration: Integration, lead_id: int, role: str, external_id: str, known: dict) -> None:
    """Keep (or correct) what was created for the lead; the caller commits with the delivery."""
    record = known.get(role)
    if record is None:
        record = ExternalRecord(integration_id=integration.id, subject_key=f"lead:{lead_id}:{role}", external_id="")
        db.session.add(record)
        known[role] = record
    record.external_id = str(external_id)


def forget(integration: Integration, lead_id: int) -> None:
    """Drop every record of what was written for the lead (after erasing it there)."""
    db.session.execute(
        delete(ExternalRecord).where(
            ExternalRecord.integration_id == integration.id,
            (ExternalRecord.subject_key == f"lead:{lead_id}")
            | ExternalRecord.subject_key.startswith(f"lead:{lead_id}:"),
        )
    )
