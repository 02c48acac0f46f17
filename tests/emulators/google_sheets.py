"""Google's OAuth2 token endpoint (JWT bearer) and the Sheets v4 values API, in memory.

The token endpoint checks the RS256 assertion with the test key pair's public key (issuer, scope,
audience, expiry) before handing out an access token. The values API keeps each tab as a list of
rows and implements GET/PUT (update) and :append (INSERT_ROWS) for A1 ranges such as
`'Leads'!A1:M1`, `'Leads'!A:A` or `'Leads'!A5`; only valueInputOption=RAW is accepted.
`lose_next_append_response` appends the row but answers 500, like a crash right after the append.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import unquote

import jwt

from tests.emulators.server import EmulatorServer, Reply, Request

SCOPE = "https://www.googleapis.com/auth/spreadsheets"
_VALUES = re.compile(r"^/v4/spreadsheets/([^/]+)/values/(.+?)(:append)?$")
_CELL = re.compile(r"^([A-Z]+)?(\d+)?$")


def _error(status: int, message: str, reason: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "status": reason}})


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def parse_range(a1: str) -> tuple[str, tuple[int, int | None], tuple[int, int | None]]:
    """ "'Tab'!A1:M1" -> (tab, (first col, first row or None), (last col, last row or None)), 0-based cols."""
    if "!" not in a1:
        raise ValueError("range without a sheet name")
    sheet, _, cells = a1.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    start, _, end = cells.partition(":")
    end = end or start
    parsed = []
    for part in (start, end):
        match = _CELL.match(part)
        if not match or not part:
            raise ValueError(f"bad cell {part!r}")
        parsed.append((_column(match.group(1) or "A"), int(match.group(2)) if match.group(2) else None))
    return sheet, parsed[0], parsed[1]


class GoogleSheetsEmulator(EmulatorServer):
    def __init__(self, public_key_pem: bytes, client_email: str) -> None:
        super().__init__()
        self.public_key_pem = public_key_pem
        self.client_email = client_email
        self.tokens: set[str] = set()
        self.sheets: dict[str, dict[str, list[list]]] = {}
        self.lose_next_append_response = False
        self._seq = itertools.count(1)

    def config(self) -> dict[str, str]:
        return {"GOOGLE_TOKEN_URL": self.url + "/token", "GOOGLE_SHEETS_API_URL": self.url}

    def add_spreadsheet(self, spreadsheet_id: str, tab: str = "Leads") -> None:
        with self.lock:
            self.sheets.setdefault(spreadsheet_id, {})[tab] = []

    def rows(self, spreadsheet_id: str, tab: str = "Leads") -> list[list]:
        with self.lock:
            return [list(r) for r in self.sheets[spreadsheet_id][tab]]

    # ------------------------------------------------------------ routes

    def handle(self, request: Request) -> Reply:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        match = _VALUES.match(request.path)
        if not match:
            return _error(404, "Not found", "NOT_FOUND")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
        spreadsheet_id, a1, append = match.group(1), unquote(match.group(2)), match.group(3)
        if spreadsheet_id not in self.sheets:
            return _error(404, "Requested entity was not found.", "NOT_FOUND")
        try:
            tab, start, end = parse_range(a1)
        except ValueError as exc:
            return _error(400, f"Unable to parse range: {a1} ({exc})", "INVALID_ARGUMENT")
        if tab not in self.sheets[spreadsheet_id]:
            return _error(400, f"Unable to parse range: {a1}", "INVALID_ARGUMENT")
        if request.method in ("PUT", "POST") and request.query.get("valueInputOption") != "RAW":
            return _error(400, "VistaFlow must write with valueInputOption=RAW", "INVALID_ARGUMENT")
        with self.lock:
            rows = self.sheets[spreadsheet_id][tab]
            if request.method == "GET":
                return self._read(a1, rows, start, end)
            if request.method == "PUT":
                return self._update(spreadsheet_id, a1, rows, start, request.json)
            if request.method == "POST" and append:
                return self._append(spreadsheet_id, tab, rows, request)
        return _error(405, "Method not allowed", "INVALID_ARGUMENT")

    def _token(self, request: Request) -> Reply:
        form = request.form
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Reply(400, {"error": "unsupported_grant_type"})
        try:
            claims = jwt.decode(
                form.get("assertion", ""), self.public_key_pem, algorithms=["RS256"], audience=self.url + "/token"
            )
        except jwt.PyJWTError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {exc}"})
        if claims.get("iss") != self.client_email or claims.get("scope") != SCOPE:
            return Reply(400, {"error": "invalid_grant", "error_description": "Invalid issuer or scope."})
        token = f"ya29.emulated-{next(self._seq)}"
        with self.lock:
            self.tokens.add(token)
        return Reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _read(self, a1: str, rows: list[list], start, end) -> Reply:
        first_row = (start[1] or 1) - 1
        last_row = (end[1] or len(rows)) - 1
        values = []
        for row in rows[first_row : last_row + 1]:
            values.append([c for c in row[start[0] : end[0] + 1]])
        while values and not any(v != "" for v in values[-1]):
            values.pop()
        body = {"range": a1, "majorDimension": "ROWS"}
        if values:
            body["values"] = values
        return Reply(200, body)

    def _update(self, spreadsheet_id: str, a1: str, rows: list[list], start, body) -> Reply:
        values = (body or {}).get("values") or []
        first_row = (start[1] or 1) - 1
        for offset, new in enumerate(values):
            index = first_row + offset
            while len(rows) <= index:
                rows.append([])
            row = rows[index]
            while len(row) < start[0] + len(new):
                row.append("")
            row[start[0] : start[0] + len(new)] = new
        return Reply(200, {"spreadsheetId": spreadsheet_id, "updatedRange": a1, "updatedRows": len(values)})

    def _append(self, spreadsheet_id: str, tab: str, rows: list[list], request: Request) -> Reply:
        if request.query.get("insertDataOption") != "INSERT_ROWS":
            return _error(400, "expected insertDataOption=INSERT_ROWS", "INVALID_ARGUMENT")
        values = (request.json or {}).get("values") or []
        while rows and not any(v != "" for v in rows[-1]):
            rows.pop()
        first = len(rows) + 1
        rows.extend([list(v) for v in values])
        last = len(rows)
        width = max((len(v) for v in values), default=1)
        end_col = chr(ord("A") + width - 1)
        updated = f"'{tab}'!A{first}:{end_col}{last}"
        if self.lose_next_append_response:
            self.lose_next_append_response = False
            return _error(500, "Internal error encountered.", "INTERNAL")
        return Reply(
            200,
            {
                "spreadsheetId": spreadsheet_id,
                "tableRange": f"'{tab}'!A1:{end_col}{first - 1}",
                "updates": {
                    "spreadsheetId": spreadsheet_id,
                    "updatedRange": updated,
                    "updatedRows": last - first + 1,
                    "updatedCells": width,
                },
            },
        )
