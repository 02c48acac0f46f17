"""Google Sheets: one row per lead, appended once and then updated in place.

Auth is the service-account flow (OAuth2 JWT bearer: an RS256 assertion signed with the account's
private key, exchanged at GOOGLE_TOKEN_URL for an access token, cached until it expires). Values are
written with valueInputOption=RAW so nothing a person typed is ever evaluated as a formula.
A lead's row is remembered in external_records; with no record yet, column A (lead ids) is read
first, so a crash after an append but before the record was saved updates that row, never adds one.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import current_app
from sqlalchemy import select

from core.db import db
from core.errors import Invalid
from core.i18n import _
from core.integrations.base import VENDOR_TIMEOUT, DeliveryError, Outcome, json_call, raise_for_status
from core.models import ExternalRecord, Integration

SCOPE = "https://www.googleapis.com/auth/spreadsheets"
COLUMNS = [
    ("VistaFlow ID", "id"),
    ("Username", "username"),
    ("Platform", "platform"),
    ("Status", "status"),
    ("Score", "score"),
    ("Source", "source"),
    ("Profile URL", "profile_url"),
    ("Owner", "owner_email"),
    ("Tags", "tags"),
    ("Value", "value"),
    ("Notes", "notes"),
    ("Created", "created_at"),
    ("Updated", "updated_at"),
]
LAST_COLUMN = chr(ord("A") + len(COLUMNS) - 1)
_UPDATED_ROW = re.compile(r"![A-Z]+(\d+)")
_SPREADSHEET_ID = re.compile(r"^[A-Za-z0-9_-]{10,200}$")

# Access tokens by (token URL, digest of email + private key): a cache, so losing it only costs one token
# request. The key is in the digest because the email alone is no proof: another workspace could name the
# same service account and would otherwise be handed the token someone else's key earned.
_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def parse_service_account(raw: Any) -> dict[str, str]:
    """The service-account JSON (text or object) reduced to what we use; Invalid names what is wrong."""
    field = "config.service_account"
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Invalid(
                _("The service account is not valid JSON."), fields={field: _("Paste the JSON key file.")}
            ) from None
    if not isinstance(raw, dict):
        raise Invalid(
            _("A Google Sheets integration needs a service account key."), fields={field: _("Paste the JSON key file.")}
        )
    email, key = raw.get("client_email"), raw.get("private_key")
    if not isinstance(email, str) or "@" not in email or not isinstance(key, str):
        raise Invalid(
            _("The service account key is incomplete."), fields={field: _("It needs client_email and private_key.")}
        )
    try:
        load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError):
        raise Invalid(
            _("The service account's private key cannot be read."), fields={field: _("private_key is not a PEM key.")}
        ) from None
    return {"client_email": email, "private_key": key}


def clean_config(config: dict[str, Any]) -> dict[str, Any]:
    """{spreadsheet_id, sheet_name}; the service account is split off as the secret by the caller."""
    unknown = sorted(set(config) - {"spreadsheet_id", "sheet_name", "service_account"})
    if unknown:
        raise Invalid(
            _("Unknown settings for Google Sheets."), fields={f"config.{unknown[0]}": _("Not a Sheets setting.")}
        )
    spreadsheet_id = config.get("spreadsheet_id")
    if not isinstance(spreadsheet_id, str) or not _SPREADSHEET_ID.match(spreadsheet_id.strip()):
        raise Invalid(
            _("The spreadsheet id is not valid."),
            fields={"config.spreadsheet_id": _("The id from the sheet's URL (/spreadsheets/d/<id>/).")},
        )
    sheet_name = config.get("sheet_name") or "Leads"
    if not isinstance(sheet_name, str) or not sheet_name.strip() or len(sheet_name) > 100:
        raise Invalid(
            _("The sheet name is not valid."), fields={"config.sheet_name": _("The tab name, 1-100 characters.")}
        )
    return {"spreadsheet_id": spreadsheet_id.strip(), "sheet_name": sheet_name.strip()}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def row_for(snapshot: dict[str, Any]) -> list[Any]:
    return [_cell(snapshot.get(key)) for _ignored, key in COLUMNS]


class SheetsClient:
    """The few Sheets v4 values calls we need, authenticated as the service account."""

    def __init__(self, integration: Integration, *, transport: httpx.BaseTransport | None = None) -> None:
        config = current_app.config
        self.token_url = config["GOOGLE_TOKEN_URL"]
        self.api_url = config["GOOGLE_SHEETS_API_URL"]
        self.account = parse_service_account(integration.decrypted_secret() or "")
        self.spreadsheet_id = integration.config["spreadsheet_id"]
        self.sheet = integration.config.get("sheet_name") or "Leads"
        self.http = httpx.Client(timeout=VENDOR_TIMEOUT, transport=transport, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------ auth

    def _assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.account["client_email"],
            "scope": SCOPE,
            "aud": self.token_url,
            "iat": now,
            "exp": now + 3600,
        }
        return jwt.encode(claims, self.account["private_key"], algorithm="RS256")

    def access_token(self, *, fresh: bool = False) -> str:
        proof = self.account["client_email"] + "\0" + self.account["private_key"]
        key = (self.token_url, hashlib.sha256(proof.encode()).hexdigest())
        with _tokens_lock:
            cached = _tokens.get(key)
        if cached and not fresh and cached[1] > time.time() + 60:
            return cached[0]
        data = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": self._assertion()}
        response, body = json_call(self.http, "POST", self.token_url, data=data, what="Google token endpoint")
        raise_for_status(response, body, what="Google token endpoint")
        if not isinstance(body, dict) or not body.get("access_token"):
            raise DeliveryError("Google token endpoint answered without an access token.")
        token = body["access_token"]
        with _tokens_lock:
            _tokens[key] = (token, time.time() + float(body.get("expires_in") or 3600))
        return token

    # ------------------------------------------------------------ values API

    def _range(self, cells: str) -> str:
        # A1 notation quotes the tab name; a quote inside it is doubled.
        return "'" + self.sheet.replace("'", "''") + "'!" + cells

    def _call(self, method: str, cells: str, *, suffix: str = "", params=None, json_body=None) -> Any:
        url = f"{self.api_url}/v4/spreadsheets/{quote(self.spreadsheet_id)}/values/{quote(self._range(cells), safe='')}"
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.access_token(fresh=attempt == 2)}"}
            response, body = json_call(
                self.http, method, url + suffix, params=params, json=json_body, headers=headers, what="Google Sheets"
            )
            if response.status_code == 401 and attempt == 1:
                continue  # the cached token was revoked or expired early: get a new one once
            raise_for_status(response, body, what="Google Sheets")
            return body
        return None

    def read(self, cells: str) -> list[list[Any]]:
        body = self._call("GET", cells)
        return list((body or {}).get("values") or [])

    def update(self, cells: str, values: list[list[Any]]) -> None:
        self._call(
            "PUT",
            cells,
            params={"valueInputOption": "RAW"},
            json_body={"range": self._range(cells), "majorDimension": "ROWS", "values": values},
        )

    def append(self, row: list[Any]) -> int:
        body = self._call(
            "POST",
            f"A:{LAST_COLUMN}",
            suffix=":append",
            params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
            json_body={"majorDimension": "ROWS", "values": [row]},
        )
        updated = ((body or {}).get("updates") or {}).get("updatedRange") or ""
        match = _UPDATED_ROW.search(updated)
        if not match:
            raise DeliveryError(f"Google Sheets answered an append without a row ({updated or 'no updatedRange'}).")
        return int(match.group(1))

    def find_row(self, lead_id: int) -> int | None:
        """The row whose column A holds `lead_id` (header excluded)."""
        for index, values in enumerate(self.read("A:A"), start=1):
            if index > 1 and values and str(values[0]).strip() == str(lead_id):
                return index
        return None


def ensure_header(client: SheetsClient, integration: Integration) -> None:
    if integration.state.get("header_written"):
        return
    client.update(f"A1:{LAST_COLUMN}1", [[title for title, _ignored in COLUMNS]])
    integration.state = {**integration.state, "header_written": True}


def _record(integration: Integration, key: str) -> ExternalRecord | None:
    return db.session.scalar(
        select(ExternalRecord).where(ExternalRecord.integration_id == integration.id, ExternalRecord.subject_key == key)
    )


def sync_lead(integration: Integration, snapshot: dict[str, Any], *, transport=None) -> Outcome:
    """Write the lead's row: update its known row, else find it by id, else append (caller commits)."""
    client = SheetsClient(integration, transport=transport)
    try:
        ensure_header(client, integration)
        key = f"lead:{snapshot['id']}"
        record = _record(integration, key)
        row = None
        if record is not None:
            row = int(record.external_id)
            found = client.read(f"A{row}")
            if not found or not found[0] or str(found[0][0]).strip() != str(snapshot["id"]):
                row = None  # someone moved or deleted rows: look the lead up again
        if row is None:
            row = client.find_row(snapshot["id"])
        if row is not None:
            client.update(f"A{row}:{LAST_COLUMN}{row}", [row_for(snapshot)])
            detail = f"row {row} updated"
        else:
            row = client.append(row_for(snapshot))
            detail = f"row {row} appended"
        if record is None:
            db.session.add(ExternalRecord(integration_id=integration.id, subject_key=key, external_id=str(row)))
        else:
            record.external_id = str(row)
        return Outcome(response_code=200, detail=detail)
    finally:
        client.close()


def check(integration: Integration, *, transport=None) -> Outcome:
    """The console's test: get a token and write the header row (idempotent)."""
    client = SheetsClient(integration, transport=transport)
    try:
        client.access_token(fresh=True)
        integration.state = {**integration.state, "header_written": False}
        ensure_header(client, integration)
        return Outcome(response_code=200, detail="Token obtained and header row written.")
    finally:
        client.close()


def erase_lead(integration: Integration, lead_id: int, *, transport=None) -> Outcome:
    """Blank the lead's row (found by record, else by its id in column A); rows below keep their place."""
    client = SheetsClient(integration, transport=transport)
    try:
        record = _record(integration, f"lead:{lead_id}")
        row = None
        if record is not None:
            found = client.read(f"A{record.external_id}")
            if found and found[0] and str(found[0][0]).strip() == str(lead_id):
                row = int(record.external_id)
        if row is None:
            row = client.find_row(lead_id)
        if record is not None:
            db.session.delete(record)
        if row is None:
            return Outcome(response_code=200, detail="No row of theirs in the sheet.")
        client.update(f"A{row}:{LAST_COLUMN}{row}", [[""] * len(COLUMNS)])
        return Outcome(response_code=200, detail=f"row {row} blanked")
    finally:
        client.close()
