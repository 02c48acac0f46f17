"""The Notion API (version 2022-06-28) for databases and pages, in memory.

GET /v1/databases/{id}, POST /v1/databases/{id}/query (number equals filter), POST /v1/pages and
PATCH /v1/pages/{id} (with `archived`: Notion's delete; an archived page cannot be edited). Page
properties are checked against the database schema (each value must be of the property's type), the
token and the Notion-Version header are required.
`lose_next_create_response` creates the page but answers 500, like a crash right after the create.
"""

from __future__ import annotations

import uuid

from tests.emulators.server import EmulatorServer, Reply, Request

VERSION = "2022-06-28"
FULL_SCHEMA = {
    "Name": "title",
    "Status": "select",
    "Score": "number",
    "Platform": "select",
    "Profile URL": "url",
    "Owner": "email",
    "VistaFlow ID": "number",
}


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"object": "error", "status": status, "code": code, "message": message})


class NotionEmulator(EmulatorServer):
    def __init__(self, token: str = "secret_notion_test_token_0123456789") -> None:
        super().__init__()
        self.token = token
        self.databases: dict[str, dict[str, str]] = {}
        self.pages: dict[str, dict] = {}
        self.lose_next_create_response = False

    def config(self) -> dict[str, str]:
        return {"NOTION_API_URL": self.url}

    def add_database(self, schema: dict[str, str] | None = None) -> str:
        database_id = str(uuid.uuid4())
        with self.lock:
            self.databases[database_id] = dict(FULL_SCHEMA if schema is None else schema)
        return database_id

    def pages_in(self, database_id: str) -> list[dict]:
        with self.lock:
            return [p for p in self.pages.values() if p["parent"]["database_id"] == database_id]

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "API token is invalid.")
        if request.headers.get("notion-version") != VERSION:
            return _error(400, "missing_version", "Notion-Version header failed validation.")
        parts = request.path.strip("/").split("/")
        with self.lock:
            if parts[:2] == ["v1", "databases"] and len(parts) == 3 and request.method == "GET":
                return self._database(parts[2])
            if parts[:2] == ["v1", "databases"] and len(parts) == 4 and parts[3] == "query":
                return self._query(parts[2], request.json or {})
            if parts == ["v1", "pages"] and request.method == "POST":
                return self._create(request.json or {})
            if parts[:2] == ["v1", "pages"] and len(parts) == 3 and request.method == "PATCH":
                return self._update(parts[2], request.json or {})
        return _error(400, "invalid_request_url", "Invalid request URL.")

    def _database(self, database_id: str) -> Reply:
        schema = self.databases.get(database_id)
        if schema is None:
            return _error(404, "object_not_found", f"Could not find database with ID: {database_id}.")
        properties = {name: {"id": name[:4], "name": name, "type": kind, kind: {}} for name, kind in schema.items()}
        return Reply(200, {"object": "database", "id": database_id, "properties": properties})

    def _check(self, database_id: str, properties: dict) -> str | None:
        schema = self.databases[database_id]
        for name, value in properties.items():
            if name not in schema:
                return f"{name} is not a property that exists."
            if not isinstance(value, dict) or schema[name] not in value:
                return f"{name} is expected to be {schema[name]}."
        return None

    def _query(self, database_id: str, body: dict) -> Reply:
        if database_id not in self.databases:
            return _error(404, "object_not_found", f"Could not find database with ID: {database_id}.")
        flt = body.get("filter") or {}
        wanted = (flt.get("number") or {}).get("equals")
        results = [
            p
            for p in self.pages.values()
            if p["parent"]["database_id"] == database_id
            and (flt.get("property") is None or (p["properties"].get(flt["property"]) or {}).get("number") == wanted)
        ]
        return Reply(200, {"object": "list", "results": results, "has_more": False, "next_cursor": None})

    def _create(self, body: dict) -> Reply:
        database_id = (body.get("parent") or {}).get("database_id")
        if database_id not in self.databases:
            return _error(404, "object_not_found", f"Could not find database with ID: {database_id}.")
        problem = self._check(database_id, body.get("properties") or {})
        if problem:
            return _error(400, "validation_error", problem)
        page = {
            "object": "page",
            "id": str(uuid.uuid4()),
            "parent": {"database_id": database_id},
            "archived": False,
            "properties": body.get("properties") or {},
        }
        self.pages[page["id"]] = page
        if self.lose_next_create_response:
            self.lose_next_create_response = False
            return _error(500, "internal_server_error", "Unexpected error.")
        return Reply(200, page)

    def _update(self, page_id: str, body: dict) -> Reply:
        page = self.pages.get(page_id)
        if page is None:
            return _error(404, "object_not_found", f"Could not find page with ID: {page_id}.")
        problem = self._check(page["parent"]["database_id"], body.get("properties") or {})
        if problem:
            return _error(400, "validation_error", problem)
        if page["archived"] and body.get("archived") is not False:
            return _error(
                400,
                "validation_error",
                "Can't edit block that is archived. You must unarchive the block before editing.",
            )
        page["properties"].update(body.get("properties") or {})
        if "archived" in body:
            page["archived"] = bool(body["archived"])
        return Reply(200, page)
