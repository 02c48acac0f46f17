"""Pipedrive's API v1 (users/me, personFields, dealFields, pipelines, stages, persons, deals, notes), in memory.

The API token comes in the x-api-token header or the api_token query parameter. Answers are
{success, data, additional_data}; errors {success: false, error, errorCode, error_info}. Custom
fields get 40-character hash keys; persons/search and deals/search with fields=custom_fields and
exact_match=true match a custom field's whole value. Deals must name an existing person and a
stage of their pipeline. Rate limit: `window_max` calls per `window_seconds`; every answer carries
x-ratelimit-limit / -remaining / -reset (seconds until the window resets), and 429 over the limit.
`lose_next_create_response` creates the person/deal/note, then answers 502.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import time

from tests.emulators.server import EmulatorServer, Reply, Request

TOKEN = "0123456789abcdef0123456789abcdef01234567"
PIPELINES = [{"id": 1, "name": "Sales", "active": True}, {"id": 2, "name": "Partners", "active": True}]
STAGES = [
    {"id": 1, "name": "Lead In", "pipeline_id": 1, "order_nr": 1},
    {"id": 2, "name": "Contact Made", "pipeline_id": 1, "order_nr": 2},
    {"id": 3, "name": "Demo Scheduled", "pipeline_id": 1, "order_nr": 3},
    {"id": 4, "name": "Proposal Made", "pipeline_id": 1, "order_nr": 4},
    {"id": 5, "name": "Negotiations Started", "pipeline_id": 1, "order_nr": 5},
    {"id": 6, "name": "Intro", "pipeline_id": 2, "order_nr": 1},
]


def _error(status: int, message: str) -> Reply:
    return Reply(
        status,
        {
            "success": False,
            "error": message,
            "errorCode": status,
            "error_info": "Please check developers.pipedrive.com",
        },
    )


def _ok(data, status: int = 200) -> Reply:
    return Reply(status, {"success": True, "data": data, "additional_data": {}})


class PipedriveEmulator(EmulatorServer):
    def __init__(self, token: str = TOKEN, company_domain: str = "acme-sales") -> None:
        super().__init__()
        self.token = token
        self.company_domain = company_domain
        self.fields: dict[str, list[dict]] = {
            "personFields": [{"id": 9001, "key": "name", "name": "Name", "field_type": "varchar"}],
            "dealFields": [{"id": 9501, "key": "title", "name": "Title", "field_type": "varchar"}],
        }
        self.store: dict[str, dict[int, dict]] = {"persons": {}, "deals": {}, "notes": {}}
        self.ids = itertools.count(501)
        self.window_max = 80
        self.window_seconds = 2.0
        self._window_start = time.monotonic()
        self._window_count = 0
        self.lose_next_create_response = False

    def config(self) -> dict[str, str]:
        return {"PIPEDRIVE_API_URL": self.url}

    def handle(self, request: Request) -> Reply:
        if (request.headers.get("x-api-token") or request.query.get("api_token")) != self.token:
            return _error(401, "unauthorized access")
        with self.lock:
            now = time.monotonic()
            if now - self._window_start >= self.window_seconds:
                self._window_start, self._window_count = now, 0
            reset = max(1, math.ceil(self.window_seconds - (now - self._window_start)))
            headers = {"x-ratelimit-limit": str(self.window_max), "x-ratelimit-reset": str(reset)}
            if self._window_count >= self.window_max:
                reply = _error(429, "Request over limit")
                reply.headers.update({**headers, "x-ratelimit-remaining": "0"})
                return reply
            self._window_count += 1
            reply = self._route(request)
            reply.headers.update({**headers, "x-ratelimit-remaining": str(self.window_max - self._window_count)})
            return reply

    # ------------------------------------------------------------ routes

    def _route(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        method, body, query = request.method, request.json or {}, request.query
        if parts[:1] != ["v1"]:
            return _error(404, "Unknown method .")
        parts = parts[1:]
        if parts == ["users", "me"] and method == "GET":
            return _ok({"id": 77, "name": "Sam", "company_id": 3, "company_domain": self.company_domain})
        if len(parts) == 1 and parts[0] in self.fields:
            if method == "GET":
                return _ok(self.fields[parts[0]])
            if method == "POST":
                return self._create_field(parts[0], body)
        if parts == ["pipelines"] and method == "GET":
            return _ok(PIPELINES)
        if parts == ["stages"] and method == "GET":
            wanted = query.get("pipeline_id")
            return _ok([s for s in STAGES if wanted is None or str(s["pipeline_id"]) == wanted])
        if len(parts) == 2 and parts[0] in ("persons", "deals") and parts[1] == "search" and method == "GET":
            return self._search(parts[0], query)
        if len(parts) == 1 and parts[0] in self.store:
            if method == "POST":
                return self._create(parts[0], body)
            if method == "GET" and parts[0] == "notes":
                return self._notes(query)
        if len(parts) == 2 and parts[0] in self.store and parts[1].isdigit():
            kind, item_id = parts[0], int(parts[1])
            if item_id not in self.store[kind]:
                return _error(404, f"{kind[:-1].title()} not found")
            if method == "GET":
                return _ok(self.store[kind][item_id])
            if method == "PUT":
                return self._update(kind, item_id, body)
            if method == "DELETE":
                self.store[kind].pop(item_id)
                return _ok({"id": item_id})
        return _error(404, "Unknown method .")

    def _create_field(self, kind: str, body: dict) -> Reply:
        if not body.get("name") or body.get("field_type") not in ("varchar", "text", "double", "monetary", "date"):
            return _error(400, "Field name and a valid field_type are required.")
        key = hashlib.sha1(f"{kind}:{body['name']}".encode()).hexdigest()
        field = {"id": next(self.ids), "key": key, "name": body["name"], "field_type": body["field_type"]}
        self.fields[kind].append(field)
        return _ok(field, 201)

    def _check(self, kind: str, item: dict) -> str | None:
        if kind == "persons" and not item.get("name"):
            return "Name must be given."
        if kind == "deals":
            if not item.get("title"):
                return "Title must be given."
            if item.get("person_id") not in self.store["persons"]:
                return "Person not found."
            stage = next((s for s in STAGES if s["id"] == item.get("stage_id")), None)
            if stage is None or (item.get("pipeline_id") and stage["pipeline_id"] != item["pipeline_id"]):
                return "Stage does not belong to the pipeline."
            if item.get("status", "open") not in ("open", "won", "lost"):
                return "Bad status."
        if kind == "notes":
            if not item.get("content"):
                return "Content must be given."
            if not (item.get("deal_id") or item.get("person_id")):
                return "A note needs a deal, person or organization."
        return None

    def _create(self, kind: str, body: dict) -> Reply:
        problem = self._check(kind, body)
        if problem:
            return _error(400, problem)
        item = {"id": next(self.ids), **body}
        self.store[kind][item["id"]] = item
        if self.lose_next_create_response:
            self.lose_next_create_response = False
            return Reply(502, "Bad Gateway")
        return _ok(item, 201)

    def _update(self, kind: str, item_id: int, body: dict) -> Reply:
        merged = {**self.store[kind][item_id], **body}
        problem = self._check(kind, merged)
        if problem:
            return _error(400, problem)
        self.store[kind][item_id] = merged
        return _ok(merged)

    def _custom_keys(self, kind: str) -> set[str]:
        fields = self.fields["personFields" if kind == "persons" else "dealFields"]
        return {f["key"] for f in fields if len(f["key"]) == 40}

    def _search(self, kind: str, query: dict) -> Reply:
        term = query.get("term") or ""
        if len(term) < 1 or (len(term) < 2 and query.get("exact_match") != "true"):
            return _error(400, "Search term must be at least 2 characters long.")
        keys = (
            self._custom_keys(kind)
            if query.get("fields") == "custom_fields"
            else {"name" if kind == "persons" else "title"}
        )
        items = [
            {
                "result_score": 1.0,
                "item": {"id": item["id"], "type": kind[:-1], "name": item.get("name") or item.get("title")},
            }
            for item in self.store[kind].values()
            if any(
                str(item.get(k)) == term if query.get("exact_match") == "true" else term in str(item.get(k))
                for k in keys
            )
        ]
        return Reply(
            200,
            {
                "success": True,
                "data": {"items": items},
                "additional_data": {"pagination": {"start": 0, "limit": 100, "more_items_in_collection": False}},
            },
        )

    def _notes(self, query: dict) -> Reply:
        notes = [
            n
            for n in self.store["notes"].values()
            if ("deal_id" not in query or str(n.get("deal_id")) == query["deal_id"])
            and ("person_id" not in query or str(n.get("person_id")) == query["person_id"])
        ]
        return _ok(notes or None)

    # ------------------------------------------------------------ for tests

    def field_key(self, kind: str, name: str) -> str:
        return next(f["key"] for f in self.fields[kind] if f["name"] == name)

    def items(self, kind: str) -> list[dict]:
        with self.lock:
            return [dict(v) for v in self.store[kind].values()]
