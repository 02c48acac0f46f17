"""HubSpot's CRM API (v3 objects, properties, pipelines; v4 associations; account info), in memory.

Bearer private-app token; errors as HubSpot writes them ({status: "error", message, category,
correlationId}); unknown properties and stages outside the deal's pipeline are VALIDATION_ERRORs;
unique properties (hasUniqueValue) are enforced. Rate limit: `window_max` calls per
`interval_ms` rolling window, every answer carries X-HubSpot-RateLimit-Max/-Remaining/
-Interval-Milliseconds, and a call over the limit gets 429 RATE_LIMIT (policy TEN_SECONDLY_ROLLING).
`lose_next_upsert_response` applies an upsert, then answers 502, like a connection lost after the write.
"""

from __future__ import annotations

import itertools
import time
import uuid

from tests.emulators.server import EmulatorServer, Reply, Request

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
DEFAULT_PROPERTIES = {
    "contacts": {"firstname", "lastname", "email", "hs_object_id"},
    "deals": {"dealname", "pipeline", "dealstage", "amount", "hs_object_id"},
}
PIPELINES = [
    {
        "id": "default",
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "stages": [
            {
                "id": "appointmentscheduled",
                "label": "Appointment Scheduled",
                "displayOrder": 0,
                "metadata": {"isClosed": "false", "probability": "0.2"},
            },
            {
                "id": "qualifiedtobuy",
                "label": "Qualified To Buy",
                "displayOrder": 1,
                "metadata": {"isClosed": "false", "probability": "0.4"},
            },
            {
                "id": "presentationscheduled",
                "label": "Presentation Scheduled",
                "displayOrder": 2,
                "metadata": {"isClosed": "false", "probability": "0.6"},
            },
            {
                "id": "decisionmakerboughtin",
                "label": "Decision Maker Bought-In",
                "displayOrder": 3,
                "metadata": {"isClosed": "false", "probability": "0.8"},
            },
            {
                "id": "closedwon",
                "label": "Closed Won",
                "displayOrder": 4,
                "metadata": {"isClosed": "true", "probability": "1.0"},
            },
            {
                "id": "closedlost",
                "label": "Closed Lost",
                "displayOrder": 5,
                "metadata": {"isClosed": "true", "probability": "0.0"},
            },
        ],
    },
    {
        "id": "77001",
        "label": "Partnerships",
        "displayOrder": 1,
        "stages": [
            {
                "id": "88001",
                "label": "Intro",
                "displayOrder": 0,
                "metadata": {"isClosed": "false", "probability": "0.1"},
            },
            {
                "id": "88002",
                "label": "Signed",
                "displayOrder": 1,
                "metadata": {"isClosed": "true", "probability": "1.0"},
            },
        ],
    },
]


def _error(status: int, category: str, message: str, **extra) -> Reply:
    return Reply(
        status,
        {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra},
    )


class HubSpotEmulator(EmulatorServer):
    def __init__(self, token: str = TOKEN, portal_id: int = 4412345) -> None:
        super().__init__()
        self.token = token
        self.portal_id = portal_id
        self.properties: dict[str, dict[str, dict]] = {
            kind: {name: {"name": name, "hasUniqueValue": False} for name in names}
            for kind, names in DEFAULT_PROPERTIES.items()
        }
        self.objects: dict[str, dict[str, dict]] = {"contacts": {}, "deals": {}}
        self.associations: set[tuple[str, str]] = set()  # (deal id, contact id)
        self.gdpr_deleted: list[str] = []
        self.ids = itertools.count(1001)
        self.window_max = 100
        self.interval_ms = 10_000
        self._window: list[float] = []
        self.lose_next_upsert_response = False

    def config(self) -> dict[str, str]:
        return {"HUBSPOT_API_URL": self.url}

    # ------------------------------------------------------------ rate limit

    def _limit_headers(self, remaining: int) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(self.window_max),
            "X-HubSpot-RateLimit-Remaining": str(max(remaining, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.interval_ms),
        }

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
                "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            )
        with self.lock:
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < self.interval_ms / 1000]
            if len(self._window) >= self.window_max:
                reply = _error(
                    429,
                    "RATE_LIMITS",
                    "You have reached your ten_secondly_rolling limit.",
                    errorType="RATE_LIMIT",
                    policyName="TEN_SECONDLY_ROLLING",
                )
                reply.headers.update(self._limit_headers(0))
                return reply
            self._window.append(now)
            reply = self._route(request)
            reply.headers.update(self._limit_headers(self.window_max - len(self._window)))
            return reply

    # ------------------------------------------------------------ routes

    def _route(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        method, body = request.method, request.json or {}
        if parts == ["account-info", "v3", "details"] and method == "GET":
            return Reply(
                200,
                {
                    "portalId": self.portal_id,
                    "uiDomain": "app.hubspot.com",
                    "timeZone": "UTC",
                    "accountType": "STANDARD",
                    "dataHostingLocation": "na1",
                },
            )
        if parts[:3] == ["crm", "v3", "properties"] and len(parts) == 4 and parts[3] in self.properties:
            kind = parts[3]
            if method == "GET":
                return Reply(200, {"results": list(self.properties[kind].values())})
            if method == "POST":
                return self._create_property(kind, body)
        if parts == ["crm", "v3", "pipelines", "deals"] and method == "GET":
            return Reply(200, {"results": PIPELINES})
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4 and parts[3] in self.objects:
            kind = parts[3]
            if parts[4:] == ["batch", "upsert"] and method == "POST":
                return self._upsert(kind, body)
            if parts[4:] == ["search"] and method == "POST":
                return self._search(kind, body)
            if parts[4:] == ["gdpr-delete"] and method == "POST" and kind == "contacts":
                return self._gdpr_delete(str(body.get("objectId")))
            if len(parts) == 5 and method == "PATCH":
                return self._update(kind, parts[4], body)
            if len(parts) == 5 and method == "DELETE":
                return self._archive(kind, parts[4])
        if (
            parts[:3] == ["crm", "v4", "objects"]
            and len(parts) == 9
            and parts[3] == "deals"
            and parts[5:7] == ["associations", "default"]
            and parts[7] == "contacts"
            and method == "PUT"
        ):
            return self._associate(parts[4], parts[8])
        return Reply(404, {"status": "error", "message": f"No route for {method} {request.path}"})

    def _create_property(self, kind: str, body: dict) -> Reply:
        name = body.get("name")
        if not name or not body.get("type") or not body.get("fieldType") or not body.get("groupName"):
            return _error(400, "VALIDATION_ERROR", "name, label, type, fieldType and groupName are required.")
        if name in self.properties[kind]:
            return _error(409, "OBJECT_ALREADY_EXISTS", f"A property named '{name}' already exists.")
        self.properties[kind][name] = {**body, "hasUniqueValue": bool(body.get("hasUniqueValue"))}
        return Reply(201, self.properties[kind][name])

    def _invalid(self, kind: str, properties: dict) -> Reply | None:
        unknown = [name for name in properties if name not in self.properties[kind]]
        if unknown:
            return _error(
                400,
                "VALIDATION_ERROR",
                "Property values were not valid: "
                + str(
                    [
                        {
                            "isValid": False,
                            "message": f'Property "{n}" does not exist',
                            "error": "PROPERTY_DOESNT_EXIST",
                            "name": n,
                        }
                        for n in unknown
                    ]
                ),
            )
        if kind == "deals" and ("pipeline" in properties or "dealstage" in properties):
            pipeline = next((p for p in PIPELINES if p["id"] == properties.get("pipeline")), None)
            if pipeline is None or properties.get("dealstage") not in {s["id"] for s in pipeline["stages"]}:
                return _error(
                    400, "VALIDATION_ERROR", "Property values were not valid: dealstage is not in the pipeline"
                )
        return None

    def _record(self, kind: str, record_id: str) -> dict:
        record = self.objects[kind][record_id]
        return {
            "id": record_id,
            "properties": dict(record["properties"]),
            "archived": False,
            "createdAt": record["createdAt"],
            "updatedAt": record["createdAt"],
        }

    def _find_unique(self, kind: str, prop: str, value: str) -> str | None:
        return next((rid for rid, r in self.objects[kind].items() if r["properties"].get(prop) == value), None)

    def _upsert(self, kind: str, body: dict) -> Reply:
        results = []
        for item in body.get("inputs") or []:
            prop, value = item.get("idProperty"), item.get("id")
            if not (self.properties[kind].get(prop) or {}).get("hasUniqueValue"):
                return _error(400, "VALIDATION_ERROR", f"{prop} is not a unique identifier property.")
            properties = dict(item.get("properties") or {})
            problem = self._invalid(kind, properties)
            if problem:
                return problem
            record_id = self._find_unique(kind, prop, value)
            new = record_id is None
            if new:
                record_id = str(next(self.ids))
                self.objects[kind][record_id] = {"properties": {}, "createdAt": "2026-12-01T10:00:00Z"}
            self.objects[kind][record_id]["properties"].update({**properties, prop: value})
            results.append({**self._record(kind, record_id), "new": new})
        if self.lose_next_upsert_response:
            self.lose_next_upsert_response = False
            return Reply(502, "Bad Gateway")
        return Reply(
            200,
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": "2026-12-01T10:00:00Z",
                "completedAt": "2026-12-01T10:00:01Z",
            },
        )

    def _update(self, kind: str, record_id: str, body: dict) -> Reply:
        if record_id not in self.objects[kind]:
            return _error(404, "OBJECT_NOT_FOUND", f"resource not found: {record_id}")
        properties = dict(body.get("properties") or {})
        if kind == "deals" and ("dealstage" in properties and "pipeline" not in properties):
            properties.setdefault("pipeline", self.objects[kind][record_id]["properties"].get("pipeline"))
        problem = self._invalid(kind, properties)
        if problem:
            return problem
        for prop, value in properties.items():
            if (self.properties[kind][prop] or {}).get("hasUniqueValue"):
                other = self._find_unique(kind, prop, value)
                if other is not None and other != record_id:
                    return _error(409, "CONFLICT", f"A record already has {prop} {value}. Existing ID: {other}")
        self.objects[kind][record_id]["properties"].update(properties)
        return Reply(200, self._record(kind, record_id))

    def _archive(self, kind: str, record_id: str) -> Reply:
        self.objects[kind].pop(record_id, None)  # HubSpot answers 204 for an id it does not know too
        self.associations = {a for a in self.associations if record_id not in a}
        return Reply(204, b"")

    def _gdpr_delete(self, contact_id: str) -> Reply:
        if contact_id not in self.objects["contacts"]:
            return _error(404, "OBJECT_NOT_FOUND", f"resource not found: {contact_id}")
        self.objects["contacts"].pop(contact_id)
        self.associations = {a for a in self.associations if a[1] != contact_id}
        self.gdpr_deleted.append(contact_id)
        return Reply(204, b"")

    def _search(self, kind: str, body: dict) -> Reply:
        groups = body.get("filterGroups") or []
        found = []
        for record_id, record in self.objects[kind].items():
            for group in groups:
                if all(
                    f.get("operator") == "EQ"
                    and str(record["properties"].get(f.get("propertyName"))) == str(f.get("value"))
                    for f in group.get("filters") or []
                ):
                    found.append(self._record(kind, record_id))
                    break
        limit = int(body.get("limit") or 10)
        return Reply(200, {"total": len(found), "results": found[:limit]})

    def _associate(self, deal_id: str, contact_id: str) -> Reply:
        if deal_id not in self.objects["deals"] or contact_id not in self.objects["contacts"]:
            return _error(400, "VALIDATION_ERROR", "One or more objects do not exist.")
        self.associations.add((deal_id, contact_id))
        return Reply(
            200,
            {
                "status": "COMPLETE",
                "results": [{"from": {"id": deal_id}, "to": {"id": contact_id}, "associationTypeId": 3}],
            },
        )

    # ------------------------------------------------------------ for tests

    def contacts(self) -> list[dict]:
        with self.lock:
            return [{"id": rid, **r["properties"]} for rid, r in self.objects["contacts"].items()]

    def deals(self) -> list[dict]:
        with self.lock:
            return [{"id": rid, **r["properties"]} for rid, r in self.objects["deals"].items()]
