"""Pipedrive (API v1) with an API token: a person per handle, a deal per lead, a note with the hot comment.

Pipedrive has no upsert: a person is looked up by the custom field "VistaFlow handle" (persons/search,
exact match on custom fields) before one is created, a deal by "VistaFlow lead" ("vf-lead-12"), and a
note by the lead marker in the deal's notes, so a retry after a lost answer creates nothing twice.
Ids are kept in external_records once known. Setup creates the custom fields when missing (their
generated keys are kept in the integration's state) and lists pipelines and their stages.
The token travels in the x-api-token header (never in a URL). Rate limits: x-ratelimit-remaining /
x-ratelimit-reset (seconds until the window resets) and 429.
"""

from __future__ import annotations

import html
import uuid
from typing import Any

import httpx
from flask import current_app

from core.errors import Invalid
from core.i18n import _
from core.integrations import crm
from core.integrations.base import DeliveryError, Outcome, retry_after_seconds
from core.models import Integration

VENDOR = "Pipedrive"
PERSON_FIELDS = [
    # (our name, label, field_type)
    ("handle", "VistaFlow handle", "varchar"),
    ("lead", "VistaFlow lead", "varchar"),
    ("score", "VistaFlow score", "double"),
    ("reasons", "VistaFlow reasons", "text"),
]
DEAL_FIELDS = [("deal_lead", "VistaFlow lead", "varchar")]
SETTINGS = {"token", "create_deals", "pipeline_id", "stage_map"}
DEAL_STATUS = {"won": "won", "lost": "lost"}


class PipedriveClient(crm.CrmClient):
    vendor = VENDOR

    def __init__(self, token: str, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(
            current_app.config["PIPEDRIVE_API_URL"], token, headers={"x-api-token": token}, transport=transport
        )

    def window_wait(self, response: httpx.Response) -> float | None:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if retry_after is not None:
            return retry_after
        return retry_after_seconds(response.headers.get("x-ratelimit-reset"))

    def exhausted(self, response: httpx.Response) -> bool:
        return response.headers.get("x-ratelimit-remaining") == "0"

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        """The `data` of a successful answer (None for a 404 when allowed)."""
        code, body = self.call(method, path, **kwargs)
        if code == 404:
            return None
        if not isinstance(body, dict) or body.get("success") is not True:
            raise DeliveryError(f"Pipedrive answered {code} without success.", response_code=code)
        return body.get("data")

    def search(self, what: str, term: str) -> list[int]:
        """Ids of persons or deals whose custom field equals `term` exactly."""
        params = {"term": term, "fields": "custom_fields", "exact_match": "true", "limit": 10}
        found = self.data("GET", f"/v1/{what}/search", params=params) or {}
        return [int(entry["item"]["id"]) for entry in found.get("items") or [] if entry.get("item")]


# ------------------------------------------------------------------ setup


def clean_config(config: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(config) - SETTINGS)
    if unknown:
        raise Invalid(
            _("Unknown settings for Pipedrive."), fields={f"config.{unknown[0]}": _("Not a Pipedrive setting.")}
        )
    return {k: v for k, v in config.items() if k != "token"}


def _ensure_fields(client: PipedriveClient, kind: str, wanted: list[tuple[str, str, str]]) -> dict[str, str]:
    existing = {f.get("name"): f.get("key") for f in client.data("GET", f"/v1/{kind}") or []}
    keys = {}
    for ours, label, field_type in wanted:
        key = existing.get(label)
        if key is None:
            created = client.data("POST", f"/v1/{kind}", json_body={"name": label, "field_type": field_type})
            key = (created or {}).get("key")
        if not key:
            raise DeliveryError(f"Pipedrive did not give a key for the field {label!r}.")
        keys[ours] = key
    return keys


def _pipelines(client: PipedriveClient) -> list[dict[str, Any]]:
    pipelines = []
    for pipeline in client.data("GET", "/v1/pipelines") or []:
        stages = client.data("GET", "/v1/stages", params={"pipeline_id": pipeline["id"]}) or []
        stages = sorted(stages, key=lambda s: s.get("order_nr", 0))
        pipelines.append(
            {
                "id": str(pipeline["id"]),
                "label": pipeline.get("name") or "",
                # Pipedrive closes a deal by its status (won/lost), not by a stage.
                "stages": [
                    {"id": str(s["id"]), "label": s.get("name") or "", "won": False, "lost": False} for s in stages
                ],
            }
        )
    return pipelines


def setup(token: str, config: dict[str, Any], *, transport=None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the token, create missing custom fields, list pipelines; returns (settings, state) or Invalid."""
    with PipedriveClient(token, transport=transport) as client:
        try:
            me = client.data("GET", "/v1/users/me") or {}
            fields = _ensure_fields(client, "personFields", PERSON_FIELDS)
            fields.update(_ensure_fields(client, "dealFields", DEAL_FIELDS))
            pipelines = _pipelines(client)
        except DeliveryError as exc:
            raise crm.invalid_credentials(VENDOR, exc) from None
    settings = crm.clean_deal_settings(config, pipelines)
    return settings, {"company_domain": me.get("company_domain"), "fields": fields, "pipelines": pipelines}


# ------------------------------------------------------------------ sync


def person_body(view: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """What a person holds (documented in the README)."""
    return {
        "name": f"@{view['username']}" if view.get("username") else f"VistaFlow lead {view['id']}",
        fields["handle"]: view["handle"],
        fields["lead"]: f"vf-lead-{view['id']}",
        fields["score"]: view.get("score"),
        fields["reasons"]: "; ".join(view.get("reasons") or []),
    }


def _note_content(view: dict[str, Any]) -> str:
    lines = [f"<p><b>Comment that made them hot</b> (VistaFlow lead {view['id']})</p>"]
    lines.append(f"<p>{html.escape(view['last_comment'])}</p>")
    if view.get("post_url"):
        lines.append(f"<p>Post: {html.escape(view['post_url'])}</p>")
    return "".join(lines)


def _person(client: PipedriveClient, view: dict, fields: dict, known: dict) -> int:
    body = person_body(view, fields)
    if "person" in known:
        person_id = int(known["person"].external_id)
        if client.data("PUT", f"/v1/persons/{person_id}", json_body=body, allow_404=True) is not None:
            return person_id
    found = client.search("persons", view["handle"])
    if found:
        client.data("PUT", f"/v1/persons/{found[0]}", json_body=body)
        return found[0]
    return int(client.data("POST", "/v1/persons", json_body=body)["id"])


def _deal(client: PipedriveClient, integration: Integration, view: dict, person_id: int, known: dict) -> int:
    config, fields = integration.config, integration.state["fields"]
    body = {
        "title": f"@{view.get('username')} ({(view.get('platform') or '').title()})",
        "person_id": person_id,
        "pipeline_id": int(config["pipeline_id"]),
        "stage_id": int(config["stage_map"][view["status"]]),
        "status": DEAL_STATUS.get(view["status"], "open"),
    }
    if view.get("value") is not None:
        body["value"] = view["value"]
    if "deal" in known:
        deal_id = int(known["deal"].external_id)
        if client.data("PUT", f"/v1/deals/{deal_id}", json_body=body, allow_404=True) is not None:
            return deal_id
    key = f"vf-lead-{view['id']}"
    found = client.search("deals", key)
    if found:
        client.data("PUT", f"/v1/deals/{found[0]}", json_body=body)
        return found[0]
    return int(client.data("POST", "/v1/deals", json_body={**body, fields["deal_lead"]: key})["id"])


def _note(client: PipedriveClient, view: dict, person_id: int, deal_id: int | None) -> int:
    marker = f"(VistaFlow lead {view['id']})"
    params = {"deal_id": deal_id} if deal_id else {"person_id": person_id}
    for note in client.data("GET", "/v1/notes", params=params) or []:
        if marker in (note.get("content") or ""):
            return int(note["id"])
    body = {"content": _note_content(view), "person_id": person_id}
    if deal_id:
        body["deal_id"] = deal_id
    return int(client.data("POST", "/v1/notes", json_body=body)["id"])


def sync_lead(integration: Integration, snapshot: dict[str, Any], *, transport=None) -> Outcome:
    """Write the person, the lead's deal in its mapped stage, and once the hot comment as a note."""
    view = crm.lead_view(snapshot)
    lead_id = view["id"]
    known = crm.records_of(integration, lead_id)
    fields = integration.state.get("fields") or {}
    with PipedriveClient(integration.decrypted_secret() or "", transport=transport) as client:
        person_id = _person(client, view, fields, known)
        crm.remember(integration, lead_id, "person", str(person_id), known)
        done = [f"person {person_id}"]
        deal_id = None
        if integration.config.get("create_deals"):
            deal_id = _deal(client, integration, view, person_id, known)
            crm.remember(integration, lead_id, "deal", str(deal_id), known)
            done.append(f"deal {deal_id} in stage {integration.config['stage_map'][view['status']]}")
        if "note" not in known and view.get("last_comment"):
            note_id = _note(client, view, person_id, deal_id)
            crm.remember(integration, lead_id, "note", str(note_id), known)
            done.append(f"note {note_id}")
    return Outcome(response_code=200, detail=", ".join(done) + " written")


def erase_lead(integration: Integration, lead_id: int, *, transport=None) -> Outcome:
    """Delete the lead's note and deal and the person (found by record, else by their custom fields)."""
    known = crm.records_of(integration, lead_id)
    key = f"vf-lead-{lead_id}"
    with PipedriveClient(integration.decrypted_secret() or "", transport=transport) as client:
        deals = [int(known["deal"].external_id)] if "deal" in known else client.search("deals", key)
        persons = [int(known["person"].external_id)] if "person" in known else client.search("persons", key)
        notes = [int(known["note"].external_id)] if "note" in known else []
        if not notes:
            for params in [{"deal_id": d} for d in deals] + [{"person_id": p} for p in persons]:
                notes += [int(n["id"]) for n in client.data("GET", "/v1/notes", params=params) or []]
        for note_id in sorted(set(notes)):
            client.data("DELETE", f"/v1/notes/{note_id}", allow_404=True)
        for deal_id in deals:
            client.data("DELETE", f"/v1/deals/{deal_id}", allow_404=True)
        for person_id in persons:
            client.data("DELETE", f"/v1/persons/{person_id}", allow_404=True)
    crm.forget(integration, lead_id)
    if not (deals or persons or notes):
        return Outcome(response_code=200, detail="Nothing was written about them in Pipedrive.")
    return Outcome(
        response_code=200,
        detail=f"{len(persons)} person(s), {len(deals)} deal(s), {len(set(notes))} note(s) deleted",
    )


def check(integration: Integration, *, transport=None) -> Outcome:
    """The console's test: create a test person with the handle field, then delete it."""
    fields = integration.state.get("fields") or {}
    handle = f"{crm.TEST_HANDLE_PREFIX}{uuid.uuid4().hex[:12]}"
    with PipedriveClient(integration.decrypted_secret() or "", transport=transport) as client:
        person = client.data("POST", "/v1/persons", json_body={"name": "VistaFlow test", fields["handle"]: handle})
        client.data("DELETE", f"/v1/persons/{person['id']}", allow_404=True)
    return Outcome(response_code=200, detail=f"Test person {person['id']} created in Pipedrive, then removed.")


def links(integration: Integration, records: dict[str, str]) -> list[dict[str, str]]:
    """Links to open the person and deal in Pipedrive."""
    domain = integration.state.get("company_domain")
    if not domain:
        return []
    return [
        {"label": f"Open {role} in Pipedrive", "url": f"https://{domain}.pipedrive.com/{role}/{rid}"}
        for role, rid in records.items()
        if role in ("person", "deal")
    ]
