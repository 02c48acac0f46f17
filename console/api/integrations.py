"""/integrations: signed webhooks, Google Sheets, Notion, HubSpot and Pipedrive, their tests and delivery logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Blueprint
from pydantic import Field

from console.api.auth_context import current_actor
from console.api.schemas import In, Out, PageOut, PageQuery
from console.api.spec import operation
from core.models import Delivery, Integration
from core.services.identity.actors import Actor
from core.services.integrations import configure as integrations

bp = Blueprint("integrations", __name__, url_prefix="/integrations")

Kind = Literal["webhook", "google_sheets", "notion", "hubspot", "pipedrive"]


class IntegrationIn(In):
    kind: Kind
    name: str = Field(max_length=120)
    config: dict[str, Any] = Field(
        description="webhook: {url}; google_sheets: {spreadsheet_id, sheet_name, service_account}; "
        "notion: {database_id, token}; hubspot and pipedrive: {token, create_deals, pipeline_id, stage_map}. "
        "Credentials are encrypted and never returned."
    )
    events: list[str] = Field(description="Event types to send (Sheets, Notion and CRMs: lead.* only).")


class IntegrationPatch(In):
    name: str | None = Field(None, max_length=120)
    config: dict[str, Any] | None = Field(None, description="New settings; credentials only when replaced.")
    events: list[str] | None = None
    enabled: bool | None = None


class IntegrationOut(Out):
    id: int
    workspace_id: int
    kind: str
    name: str
    config: dict[str, Any]
    secret_set: bool = Field(description="Whether a credential or signing secret is stored (never shown).")
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, integration: Integration, actor: Actor, **extra: Any) -> IntegrationOut:
        """Never the secret, only whether one is set; `config` as this actor may see it."""
        return cls(
            id=integration.id,
            workspace_id=integration.workspace_id,
            kind=integration.kind,
            name=integration.name,
            config=integrations.shown_config(integration, actor),
            secret_set=integration.secret_encrypted is not None,
            events=list(integration.events or []),
            enabled=integration.enabled,
            disabled_reason=integration.disabled_reason,
            created_at=integration.created_at,
            updated_at=integration.updated_at,
            **extra,
        )


class IntegrationCreated(IntegrationOut):
    signing_secret: str | None = Field(None, description="Webhooks only: the whsec_ signing secret, shown this once.")


class TestOut(Out):
    ok: bool
    response_code: int | None
    detail: str | None


class StageOut(Out):
    id: str
    label: str
    won: bool
    lost: bool


class PipelineOut(Out):
    id: str
    label: str
    stages: list[StageOut]


class PipelinesOut(Out):
    pipelines: list[PipelineOut] = Field(description="As listed by the CRM when the settings were last saved.")
    create_deals: bool
    pipeline_id: str | None
    stage_map: dict[str, str] = Field(description="Lead status -> stage id.")


class LeadLinkOut(Out):
    label: str
    url: str
    integration_id: int
    integration: str


class LeadLinksOut(Out):
    items: list[LeadLinkOut]


class DeliveryQuery(PageQuery):
    status: Literal["pending", "in_progress", "succeeded", "failed"] | None = None
    event_type: str | None = Field(None, max_length=64)


class DeliveryOut(Out):
    id: int
    integration_id: int
    event_id: str | None
    event_type: str
    ordering_key: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    response_code: int | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, delivery: Delivery, event_ids: dict[int, str] | None = None) -> DeliveryOut:
        """`event_ids` (delivery id -> event uuid) saves a query per row when a page is shown."""
        event_ids = integrations.event_ids_of([delivery]) if event_ids is None else event_ids
        return cls(
            id=delivery.id,
            integration_id=delivery.integration_id,
            event_id=event_ids.get(delivery.id),
            event_type=delivery.event_type,
            ordering_key=delivery.ordering_key,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_error=delivery.last_error,
            response_code=delivery.response_code,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
        )


@operation(
    bp,
    "GET",
    "/workspace/<int:workspace_id>",
    summary="The workspace's integrations",
    query=PageQuery,
    response=PageOut[IntegrationOut],
)
def list_integrations(workspace_id: int, query: PageQuery):
    actor = current_actor()
    page = integrations.page_for(workspace_id, actor=actor, cursor=query.cursor, limit=query.limit)
    return page.map(lambda integration: IntegrationOut.of(integration, actor))


@operation(
    bp,
    "POST",
    "/workspace/<int:workspace_id>",
    summary="Add an integration (owner/admin)",
    body=IntegrationIn,
    response=IntegrationCreated,
    status=201,
    errors=(403, 409),
)
def create_integration(workspace_id: int, body: IntegrationIn):
    actor = current_actor()
    integration, secret = integrations.create(
        workspace_id, actor=actor, kind=body.kind, name=body.name, config=body.config, events=body.events
    )
    return IntegrationCreated.of(integration, actor, signing_secret=secret)


@operation(bp, "GET", "/<int:integration_id>", summary="One integration", response=IntegrationOut)
def get_integration(integration_id: int):
    actor = current_actor()
    return IntegrationOut.of(integrations.get(integration_id, actor=actor), actor)


@operation(
    bp,
    "PATCH",
    "/<int:integration_id>",
    summary="Rename, change settings or events, enable/disable (owner/admin)",
    body=IntegrationPatch,
    response=IntegrationOut,
    errors=(403,),
)
def update_integration(integration_id: int, body: IntegrationPatch):
    actor = current_actor()
    integration = integrations.update(
        integration_id,
        actor=actor,
        name=body.name,
        config=body.config,
        events=body.events,
        enabled=body.enabled,
    )
    return IntegrationOut.of(integration, actor)


@operation(
    bp,
    "DELETE",
    "/<int:integration_id>",
    summary="Remove an integration and its delivery log (owner/admin)",
    status=204,
    errors=(403,),
)
def delete_integration(integration_id: int):
    integrations.delete(integration_id, actor=current_actor())
    return None, 204


@operation(
    bp,
    "POST",
    "/<int:integration_id>/test",
    summary="Send a test now and report the outcome (owner/admin)",
    response=TestOut,
    errors=(403,),
)
def test_integration(integration_id: int):
    return integrations.send_test(integration_id, actor=current_actor())


@operation(
    bp,
    "GET",
    "/<int:integration_id>/pipelines",
    summary="A CRM integration's pipelines, stages and stage mapping (422 for a kind without pipelines)",
    response=PipelinesOut,
    errors=(422,),
)
def integration_pipelines(integration_id: int):
    return integrations.pipelines_of(integration_id, actor=current_actor())


@operation(
    bp,
    "GET",
    "/lead/<int:lead_id>/links",
    summary="Where a lead lives in the workspace's CRMs (open in HubSpot / Pipedrive)",
    response=LeadLinksOut,
)
def lead_links(lead_id: int):
    return {"items": integrations.lead_links(lead_id, actor=current_actor())}


@operation(
    bp,
    "GET",
    "/<int:integration_id>/deliveries",
    summary="Delivery log, newest first",
    query=DeliveryQuery,
    response=PageOut[DeliveryOut],
)
def list_deliveries(integration_id: int, query: DeliveryQuery):
    page = integrations.deliveries_page(
        integration_id,
        actor=current_actor(),
        status=query.status,
        event_type=query.event_type,
        cursor=query.cursor,
        limit=query.limit,
    )
    event_ids = integrations.event_ids_of(page.items)
    return page.map(lambda d: DeliveryOut.of(d, event_ids))


@operation(
    bp,
    "POST",
    "/deliveries/<bigint:delivery_id>/replay",
    summary="Send a finished delivery again (owner/admin)",
    response=DeliveryOut,
    status=202,
    errors=(403, 409),
)
def replay_delivery(delivery_id: int):
    return DeliveryOut.of(integrations.replay(delivery_id, actor=current_actor()))
