"""HubSpot (CRM API v3, associations v4) with a private app token: a contact per person, a deal per lead.

The contact is found or created by the unique property `vistaflow_handle` ("instagram:jane") through
batch upsert, and the deal by the unique property `vistaflow_lead_key` ("vf-lead-12"), so a retry
after a lost answer updates what the first try created instead of adding a second one. Once known,
their ids are kept in external_records and later changes PATCH them. Setup creates the properties
(group contactinformation / dealinformation) when missing and lists the deal pipelines.
Rate limits: X-HubSpot-RateLimit-Remaining / -Interval-Milliseconds (the 10-second window) and 429.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from flask import current_app

from core.errors import Invalid
from core.i18n import _
from core.integrations import crm
from core.integrations.base import DeliveryError, Outcome, retry_after_seconds
from core.models import Integration

VENDOR = "HubSpot"
HANDLE = "vistaflow_handle"
LEAD_KEY = "vistaflow_lead_key"
CONTACT_PROPERTIES = [
    # (name, label, type, fieldType, unique)
    (HANDLE, "VistaFlow handle", "string", "text", True),
    ("vistaflow_lead_id", "VistaFlow lead ID", "number", "number", False),
    ("vistaflow_score", "VistaFlow score", "number", "number", False),
    ("vistaflow_reasons", "VistaFlow score reasons", "string", "textarea", False),
    ("vistaflow_last_comment", "VistaFlow last comment", "string", "textarea", False),
    ("vistaflow_lead_status", "VistaFlow lead status", "string", "text", False),
    ("vistaflow_post_url", "VistaFlow post link", "string", "text", False),
    ("vistaflow_profile_url", "VistaFlow profile link", "string", "text", False),
]
DEAL_PROPERTIES = [(LEAD_KEY, "VistaFlow lead key", "string", "text", True)]
GROUPS = {"contacts": "contactinformation", "deals": "dealinformation"}
SETTINGS = {"token", "create_deals", "pipeline_id", "stage_map"}


class HubSpotClient(crm.CrmClient):
    vendor = VENDOR

    def __init__(self, token: str, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(
            current_app.config["HUBSPOT_API_URL"],
            token,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    def window_wait(self, response: httpx.Response) -> float | None:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if retry_after is not None:
            return retry_after
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        try:
            return int(interval) / 1000 if interval else None
        except ValueError:
            return None

    def exhausted(self, response: httpx.Response) -> bool:
        return response.headers.get("X-HubSpot-RateLimit-Remaining") == "0"

    def upsert(self, object_type: str, id_property: str, value: str, properties: dict[str, Any]) -> str:
        """Create or update one record by a unique property; returns its id."""
        body = {"inputs": [{"idProperty": id_property, "id": value, "properties": properties}]}
        _ignored, answer = self.call("POST", f"/crm/v3/objects/{object_type}/batch/upsert", json_body=body)
        results = (answer or {}).get("results") or []
        if not results or not results[0].get("id"):
            raise DeliveryError(f"HubSpot answered an upsert of {object_type} without a record.")
        return str(results[0]["id"])

    def find(self, object_type: str, prop: str, value: str) -> list[str]:
        """Ids of the records whose `prop` equals `value` (CRM search)."""
        body = {
            "filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}],
            "properties": [prop],
            "limit": 10,
        }
        _ignored, answer = self.call("POST", f"/crm/v3/objects/{object_type}/search", json_body=body)
        return [str(r["id"]) for r in (answer or {}).get("results") or []]


# ------------------------------------------------------------------ setup


def clean_config(config: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(config) - SETTINGS)
    if unknown:
        raise Invalid(_("Unknown settings for HubSpot."), fields={f"config.{unknown[0]}": _("Not a HubSpot setting.")})
    return {k: v for k, v in config.items() if k != "token"}


def _pipelines(client: HubSpotClient) -> list[dict[str, Any]]:
    _ignored, body = client.call("GET", "/crm/v3/pipelines/deals")
    pipelines = []
    for pipeline in sorted((body or {}).get("results") or [], key=lambda p: p.get("displayOrder", 0)):
        stages = []
        for stage in sorted(pipeline.get("stages") or [], key=lambda s: s.get("displayOrder", 0)):
            meta = stage.get("metadata") or {}
            closed = str(meta.get("isClosed")).lower() == "true"
            probability = str(meta.get("probability"))
            stages.append(
                {
                    "id": str(stage["id"]),
                    "label": stage.get("label") or str(stage["id"]),
                    "won": closed and probability in ("1", "1.0"),
                    "lost": closed and probability in ("0", "0.0"),
                }
            )
        pipelines.append({"id": str(pipeline["id"]), "label": pipeline.get("label") or "", "stages": stages})
    return pipelines


def _ensure_properties(client: HubSpotClient, object_type: str, wanted: list[tuple]) -> list[str]:
    _ignored, body = client.call("GET", f"/crm/v3/properties/{object_type}")
    existing = {p.get("name") for p in (body or {}).get("results") or []}
    created = []
    for name, label, kind, field_type, unique in wanted:
        if name in existing:
            continue
        definition = {
            "name": name,
            "label": label,
            "type": kind,
            "fieldType": field_type,
            "groupName": GROUPS[object_type],
            "hasUniqueValue": unique,
        }
        client.call("POST", f"/crm/v3/properties/{object_type}", json_body=definition)
        created.append(name)
    return created


def setup(token: str, config: dict[str, Any], *, transport=None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the token, create missing properties, list pipelines; returns (settings, state) or Invalid."""
    with HubSpotClient(token, transport=transport) as client:
        try:
            _ignored, account = client.call("GET", "/account-info/v3/details")
            _ensure_properties(client, "contacts", CONTACT_PROPERTIES)
            _ensure_properties(client, "deals", DEAL_PROPERTIES)
            pipelines = _pipelines(client)
        except DeliveryError as exc:
            raise crm.invalid_credentials(VENDOR, exc) from None
    settings = crm.clean_deal_settings(config, pipelines)
    state = {
        "portal_id": (account or {}).get("portalId"),
        "ui_domain": (account or {}).get("uiDomain") or "app.hubspot.com",
        "pipelines": pipelines,
    }
    return settings, state


# ------------------------------------------------------------------ sync


def contact_properties(view: dict[str, Any]) -> dict[str, Any]:
    """What a contact holds about the person (documented in the README)."""
    return {
        "firstname": f"@{view['username']}" if view.get("username") else "",
        "vistaflow_lead_id": view["id"],
        "vistaflow_score": view.get("score") if view.get("score") is not None else "",
        "vistaflow_reasons": "; ".join(view.get("reasons") or []),
        "vistaflow_last_comment": (view.get("last_comment") or "")[:5000],
        "vistaflow_lead_status": view.get("status") or "",
        "vistaflow_post_url": view.get("post_url") or "",
        "vistaflow_profile_url": view.get("profile_url") or "",
    }


def _deal_properties(integration: Integration, view: dict[str, Any]) -> dict[str, Any]:
    platform = (view.get("platform") or "").title()
    properties = {
        "dealname": f"@{view.get('username')} ({platform})",
        "pipeline": integration.config["pipeline_id"],
        "dealstage": integration.config["stage_map"][view["status"]],
    }
    if view.get("value") is not None:
        properties["amount"] = view["value"]
    return properties


def sync_lead(integration: Integration, snapshot: dict[str, Any], *, transport=None) -> Outcome:
    """Upsert the person's contact and (when enabled) the lead's deal in its mapped stage (caller commits)."""
    view = crm.lead_view(snapshot)
    lead_id = view["id"]
    known = crm.records_of(integration, lead_id)
    properties = contact_properties(view)
    with HubSpotClient(integration.decrypted_secret() or "", transport=transport) as client:
        contact_id, done = None, []
        if "contact" in known:
            code, _ignored = client.call(
                "PATCH",
                f"/crm/v3/objects/contacts/{known['contact'].external_id}",
                json_body={"properties": {**properties, HANDLE: view["handle"]}},
                allow_404=True,
            )
            if code != 404:
                contact_id = known["contact"].external_id
        if contact_id is None:
            contact_id = client.upsert("contacts", HANDLE, view["handle"], properties)
        contact_moved = "contact" not in known or known["contact"].external_id != contact_id
        crm.remember(integration, lead_id, "contact", contact_id, known)
        done.append(f"contact {contact_id}")
        if integration.config.get("create_deals"):
            deal_properties = _deal_properties(integration, view)
            deal_id = None
            if "deal" in known:
                code, _ignored = client.call(
                    "PATCH",
                    f"/crm/v3/objects/deals/{known['deal'].external_id}",
                    json_body={"properties": deal_properties},
                    allow_404=True,
                )
                if code != 404:
                    deal_id = known["deal"].external_id
            new_deal = deal_id is None
            if new_deal:
                deal_id = client.upsert("deals", LEAD_KEY, f"vf-lead-{lead_id}", deal_properties)
            if new_deal or contact_moved:
                client.call("PUT", f"/crm/v4/objects/deals/{deal_id}/associations/default/contacts/{contact_id}")
            crm.remember(integration, lead_id, "deal", deal_id, known)
            done.append(f"deal {deal_id} in stage {deal_properties['dealstage']}")
    return Outcome(response_code=200, detail=", ".join(done) + " written")


def erase_lead(integration: Integration, lead_id: int, *, transport=None) -> Outcome:
    """GDPR-delete the person's contact and delete the lead's deal (found by record, else by search)."""
    known = crm.records_of(integration, lead_id)
    with HubSpotClient(integration.decrypted_secret() or "", transport=transport) as client:
        deals = [known["deal"].external_id] if "deal" in known else client.find("deals", LEAD_KEY, f"vf-lead-{lead_id}")
        contacts = (
            [known["contact"].external_id]
            if "contact" in known
            else client.find("contacts", "vistaflow_lead_id", str(lead_id))
        )
        for deal_id in deals:
            client.call("DELETE", f"/crm/v3/objects/deals/{deal_id}", allow_404=True)
        for contact_id in contacts:
            client.call(
                "POST", "/crm/v3/objects/contacts/gdpr-delete", json_body={"objectId": contact_id}, allow_404=True
            )
    crm.forget(integration, lead_id)
    if not deals and not contacts:
        return Outcome(response_code=200, detail="Nothing was written about them in HubSpot.")
    return Outcome(response_code=204, detail=f"{len(contacts)} contact(s) GDPR-deleted, {len(deals)} deal(s) deleted")


def check(integration: Integration, *, transport=None) -> Outcome:
    """The console's test: create a test contact through the same upsert, then delete it."""
    handle = f"{crm.TEST_HANDLE_PREFIX}{uuid.uuid4().hex[:12]}"
    with HubSpotClient(integration.decrypted_secret() or "", transport=transport) as client:
        contact_id = client.upsert("contacts", HANDLE, handle, {"firstname": "VistaFlow test"})
        client.call("DELETE", f"/crm/v3/objects/contacts/{contact_id}", allow_404=True)
    return Outcome(response_code=204, detail=f"Test contact {contact_id} created in HubSpot, then removed.")


def links(integration: Integration, records: dict[str, str]) -> list[dict[str, str]]:
    """Links to open what was created in HubSpot ({"contact": id, "deal": id} -> labelled URLs)."""
    portal, domain = integration.state.get("portal_id"), integration.state.get("ui_domain") or "app.hubspot.com"
    if not portal:
        return []
    kinds = {"contact": "0-1", "deal": "0-3"}
    return [
        {"label": f"Open {role} in HubSpot", "url": f"https://{domain}/contacts/{portal}/record/{kinds[role]}/{rid}"}
        for role, rid in records.items()
        if role in kinds
    ]
