"""Notion: one page per lead in a database, created once and then updated.

The database must have a title property plus Status (select), Score (number), Platform (select or
text), Profile URL (url), Owner (text or email) and VistaFlow ID (number); this is checked when the
integration is saved, naming any missing property. A lead's page id is kept in external_records;
with none yet the database is queried by VistaFlow ID first, so a retry never creates a second page.
Notion allows about 3 requests a second: calls are spaced, and a 429 is honoured (Retry-After).
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import httpx
from flask import current_app
from sqlalchemy import select

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.integrations.base import (
    VENDOR_TIMEOUT,
    DeliveryError,
    Outcome,
    error_message,
    json_call,
    raise_for_status,
    retry_after_seconds,
)
from core.models import ExternalRecord, Integration

NOTION_VERSION = "2022-06-28"
MIN_INTERVAL = 0.34  # ~3 requests per second per token
MAX_INLINE_WAIT = 3.0  # a longer Retry-After reschedules the delivery instead of holding a worker
REQUIRED = [
    ("Status", ("select",)),
    ("Score", ("number",)),
    ("Platform", ("select", "rich_text")),
    ("Profile URL", ("url",)),
    ("Owner", ("rich_text", "email")),
    ("VistaFlow ID", ("number",)),
]
_DATABASE_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")

_last_call: dict[str, float] = {}
_pace_lock = threading.Lock()


def clean_config(config: dict[str, Any]) -> dict[str, Any]:
    """{database_id}; the token is split off as the secret by the caller."""
    unknown = sorted(set(config) - {"database_id", "token"})
    if unknown:
        raise Invalid(_("Unknown settings for Notion."), fields={f"config.{unknown[0]}": _("Not a Notion setting.")})
    database_id = config.get("database_id")
    if not isinstance(database_id, str) or not _DATABASE_ID.match(database_id.strip()):
        raise Invalid(
            _("The database id is not valid."),
            fields={"config.database_id": _("The 32-character id from the database's link.")},
        )
    return {"database_id": database_id.strip()}


def clean_token(token: Any) -> str:
    if not isinstance(token, str) or not (10 <= len(token.strip()) <= 500):
        raise Invalid(
            _("A Notion integration needs its token."), fields={"config.token": _("The internal integration secret.")}
        )
    return token.strip()


class NotionClient:
    def __init__(self, token: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.token = token
        self.api_url = current_app.config["NOTION_API_URL"]
        self.http = httpx.Client(timeout=VENDOR_TIMEOUT, transport=transport, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self.http.close()

    def _pace(self) -> None:
        key = self.token[-12:]
        with _pace_lock:
            wait = _last_call.get(key, 0.0) + MIN_INTERVAL - time.monotonic()
            _last_call[key] = time.monotonic() + max(wait, 0.0)
        if wait > 0:
            time.sleep(wait)

    def call(self, method: str, path: str, json_body: Any = None) -> tuple[int, Any]:
        """One call; a short 429 is waited out once, a long one becomes a retry later."""
        headers = {"Authorization": f"Bearer {self.token}", "Notion-Version": NOTION_VERSION}
        for attempt in (1, 2):
            self._pace()
            response, body = json_call(
                self.http, method, self.api_url + path, json=json_body, headers=headers, what="Notion"
            )
            if response.status_code == 429 and attempt == 1:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait <= MAX_INLINE_WAIT:
                    time.sleep(wait)
                    continue
            if response.status_code == 404:
                return 404, body
            raise_for_status(response, body, what="Notion")
            return response.status_code, body
        return 0, None


def inspect_database(token: str, database_id: str, *, transport=None) -> dict[str, Any]:
    """Read the database's properties and map ours onto them; Invalid names a missing or mistyped one."""
    client = NotionClient(token, transport=transport)
    try:
        code, body = client.call("GET", f"/v1/databases/{database_id}")
    except DeliveryError as exc:
        field = "config.token" if exc.response_code in (401, 403) else "config.database_id"
        raise Invalid(
            _("Notion refused to show the database: %(message)s", message=exc.message), fields={field: exc.message}
        ) from None
    finally:
        client.close()
    if code == 404:
        raise Invalid(
            _("Notion does not show this database to the integration."),
            fields={"config.database_id": error_message(body) or "Share the database with the integration."},
        )
    properties = (body or {}).get("properties") or {}
    types = {name: (prop or {}).get("type") for name, prop in properties.items()}
    title = next((name for name, kind in types.items() if kind == "title"), None)
    if title is None:
        raise Invalid(
            _("The Notion database has no title property."), fields={"config.database_id": _("Add a title property.")}
        )
    for name, allowed in REQUIRED:
        if name not in types:
            raise Invalid(
                _("The Notion database is missing the property “%(name)s”.", name=name),
                fields={
                    "config.database_id": _(
                        "Add a property named “%(name)s” (%(value)s).", name=name, value=" or ".join(allowed)
                    )
                },
            )
        if types[name] not in allowed:
            raise Invalid(
                _("The Notion property “%(name)s” has the wrong type.", name=name),
                fields={
                    "config.database_id": _(
                        "“%(name)s” must be %(value)s, not %(types)s.",
                        name=name,
                        value=" or ".join(allowed),
                        types=types[name],
                    )
                },
            )
    return {"title_property": title, "types": {name: types[name] for name, _ignored in REQUIRED}}


def _text(value: str | None) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": value[:2000]}}] if value else []


def properties_for(snapshot: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    types = state.get("types") or {}
    platform, owner = snapshot.get("platform"), snapshot.get("owner_email")
    username = snapshot.get("username")
    return {
        state.get("title_property") or "Name": {
            "title": _text(f"@{username}" if username else f"Lead {snapshot['id']}")
        },
        "Status": {"select": {"name": snapshot["status"]} if snapshot.get("status") else None},
        "Score": {"number": snapshot.get("score")},
        "Platform": (
            {"select": {"name": platform} if platform else None}
            if types.get("Platform") == "select"
            else {"rich_text": _text(platform)}
        ),
        "Profile URL": {"url": snapshot.get("profile_url")},
        "Owner": {"email": owner} if types.get("Owner") == "email" else {"rich_text": _text(owner)},
        "VistaFlow ID": {"number": snapshot["id"]},
    }


def sync_lead(integration: Integration, snapshot: dict[str, Any], *, transport=None) -> Outcome:
    """Update the lead's page, else find it by VistaFlow ID, else create it (caller commits)."""
    client = NotionClient(integration.decrypted_secret() or "", transport=transport)
    database_id = integration.config["database_id"]
    properties = properties_for(snapshot, integration.state)
    key = f"lead:{snapshot['id']}"
    try:
        record = db.session.scalar(
            select(ExternalRecord).where(
                ExternalRecord.integration_id == integration.id, ExternalRecord.subject_key == key
            )
        )
        page_id = record.external_id if record else None
        if page_id is not None:
            code, _body = client.call("PATCH", f"/v1/pages/{page_id}", {"properties": properties})
            if code == 404:
                page_id = None  # the page was deleted in Notion: find or create it again
            else:
                return Outcome(response_code=code, detail=f"page {page_id} updated")
        query = {"filter": {"property": "VistaFlow ID", "number": {"equals": snapshot["id"]}}, "page_size": 1}
        code, body = client.call("POST", f"/v1/databases/{database_id}/query", query)
        if code == 404:
            raise DeliveryError("Notion does not show the database to the integration any more.", response_code=404)
        results = (body or {}).get("results") or []
        if results:
            page_id = results[0]["id"]
            code, _body = client.call("PATCH", f"/v1/pages/{page_id}", {"properties": properties})
            detail = f"page {page_id} found and updated"
        else:
            code, body = client.call(
                "POST", "/v1/pages", {"parent": {"database_id": database_id}, "properties": properties}
            )
            if code == 404:
                raise DeliveryError("Notion does not show the database to the integration any more.", response_code=404)
            page_id = body["id"]
            detail = f"page {page_id} created"
        if record is None:
            db.session.add(ExternalRecord(integration_id=integration.id, subject_key=key, external_id=page_id))
        else:
            record.external_id = page_id
        return Outcome(response_code=code, detail=detail)
    finally:
        client.close()


def check(integration: Integration, *, transport=None) -> Outcome:
    """The console's test: read the database schema again and keep the property mapping."""
    state = inspect_database(
        integration.decrypted_secret() or "", integration.config["database_id"], transport=transport
    )
    integration.state = {**integration.state, **state}
    return Outcome(response_code=200, detail="The database has every property VistaFlow writes.")


def erase_lead(integration: Integration, lead_id: int, *, transport=None) -> Outcome:
    """Blank the lead's page and archive it (Notion's delete), found by record, else by VistaFlow ID."""
    client = NotionClient(integration.decrypted_secret() or "", transport=transport)
    key = f"lead:{lead_id}"
    try:
        record = db.session.scalar(
            select(ExternalRecord).where(
                ExternalRecord.integration_id == integration.id, ExternalRecord.subject_key == key
            )
        )
        pages = [record.external_id] if record else []
        if not pages:
            query = {"filter": {"property": "VistaFlow ID", "number": {"equals": lead_id}}, "page_size": 10}
            code, body = client.call("POST", f"/v1/databases/{integration.config['database_id']}/query", query)
            pages = [p["id"] for p in (body or {}).get("results") or []] if code != 404 else []
        blank = properties_for({"id": lead_id}, integration.state)
        archived = 0
        for page_id in pages:
            code, _ignored = client.call("PATCH", f"/v1/pages/{page_id}", {"properties": blank, "archived": True})
            archived += code != 404
        if record is not None:
            db.session.delete(record)
        if not archived:
            return Outcome(response_code=200, detail="No page of theirs in the database.")
        return Outcome(response_code=200, detail=f"{archived} page(s) blanked and archived")
    finally:
        client.close()
