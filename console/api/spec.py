"""Declaring JSON endpoints once: request validation, response shaping and the OpenAPI document.

`@operation(bp, "POST", "/auth/login", body=LoginIn, response=SessionOut)` registers the
view on the blueprint, validates the body and query with pydantic (unknown fields refused,
every bad field named), serialises the return value through the response model, and adds
the operation to `/openapi.json`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from console.converters import INT4_MAX, INT8_MAX
from core.errors import Invalid
from core.field_errors import field_message
from core.i18n import _

ERROR_STATUSES = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    403: "Not allowed",
    404: "Not found (or not yours)",
    409: "Conflict with the current state",
    422: "Validation error; `fields` names each bad field",
    429: "Too many requests; see Retry-After",
    503: "A dependency is unavailable",
}


@dataclass
class Operation:
    method: str
    rule: str
    summary: str
    tags: list[str]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    auth: bool
    errors: list[int]
    content_type: str = "application/json"
    path_params: list[tuple[str, str]] = field(default_factory=list)
    # Other success statuses the view may answer with the same body (e.g. 202 when the work was queued).
    also: tuple[int, ...] = ()


OPERATIONS: list[Operation] = []


def validation_fields(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        fields[prefix + loc] = field_message(err)
    return fields


def _parse_body(model: type[BaseModel]) -> BaseModel:
    payload = request.get_json(silent=True)
    if payload is None:
        if request.data and request.data.strip():
            raise Invalid(_("The request body is not valid JSON."), fields={"body": _("Expected a JSON object.")})
        payload = {}
    if not isinstance(payload, dict):
        raise Invalid(_("The request body must be a JSON object."), fields={"body": _("Expected a JSON object.")})
    try:
        parsed = model.model_validate(payload)
    except ValidationError as exc:
        raise Invalid(_("Some fields are not valid."), fields=validation_fields(exc)) from None
    _check_storable(parsed.model_dump(by_alias=True), "Some fields are not valid.")
    return parsed


def _parse_query(model: type[BaseModel]) -> BaseModel:
    raw: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        raw[key] = values if len(values) > 1 else values[0]
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        raise Invalid(_("Some query parameters are not valid."), fields=validation_fields(exc)) from None
    _check_storable(parsed.model_dump(by_alias=True), "Some query parameters are not valid.")
    return parsed


def _unstorable(value: Any, path: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        found = {path + str(key): "Must not contain NUL characters." for key in value if "\x00" in str(key)}
        for key, item in value.items():
            found.update(_unstorable(item, f"{path}{key}."))
        return found
    if isinstance(value, list | tuple | set):
        return {k: v for i, item in enumerate(value) for k, v in _unstorable(item, f"{path}{i}.").items()}
    if isinstance(value, int) and not isinstance(value, bool) and not -INT4_MAX - 1 <= value <= INT4_MAX:
        return {path.rstrip("."): f"Must be between {-INT4_MAX - 1} and {INT4_MAX}."}
    if isinstance(value, str) and "\x00" in value:
        return {path.rstrip("."): "Must not contain NUL characters."}
    return {}


def _check_storable(data: Any, message: str) -> None:
    """Nothing our database cannot store reaches SQL: PostgreSQL refuses out-of-range integers and NUL
    characters in text with an error, which would otherwise be a 500."""
    fields = _unstorable(data)
    if fields:
        raise Invalid(message, fields=fields)


def dump(model: type[BaseModel] | None, value: Any) -> Any:
    if model is None or isinstance(value, Response):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return model.model_validate(value, from_attributes=True).model_dump(mode="json")


def operation(
    bp: Blueprint,
    method: str,
    rule: str,
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    auth: bool = True,
    errors: tuple[int, ...] = (),
    content_type: str = "application/json",
    also: tuple[int, ...] = (),
) -> Callable:
    """Register a JSON view; the view gets path params plus `body`/`query` models when declared."""

    def decorate(view: Callable) -> Callable:
        op = Operation(
            method=method.upper(),
            rule=(bp.url_prefix or "") + rule,
            summary=summary,
            tags=[bp.name],
            body=body,
            query=query,
            response=response,
            status=status,
            auth=auth,
            errors=sorted(set(errors) | ({401} if auth else set()) | ({422} if body or query else set())),
            content_type=content_type,
            also=tuple(also),
        )
        OPERATIONS.append(op)

        @wraps(view)
        def handler(**path: Any) -> Any:
            from console.api.auth_context import current_actor

            if auth:
                current_actor()  # raises Unauthorized before any parsing
            kwargs = dict(path)
            if body is not None:
                kwargs["body"] = _parse_body(body)
            if query is not None:
                kwargs["query"] = _parse_query(query)
            result = view(**kwargs)
            code = status
            if isinstance(result, tuple):
                result, code = result
            if isinstance(result, Response):
                return result
            if result is None:
                return Response(status=code)
            return jsonify(dump(response, result)), code

        endpoint = f"{view.__name__}_{method.lower()}"
        bp.add_url_rule(rule, endpoint=endpoint, view_func=handler, methods=[method.upper()])
        return handler

    return decorate


# ---------------------------------------------------------------- OpenAPI document

_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in _PATH_PARAM.findall(rule):
        schema = {"type": "string"}
        if converter in ("int", "bigint"):
            schema = {"type": "integer", "minimum": 0, "maximum": INT4_MAX if converter == "int" else INT8_MAX}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule), params


REF_TEMPLATE = "#/components/schemas/{model}"


def _bound_ints(schema: Any) -> Any:
    """Declare the range the server accepts on request integers that do not say it (see _check_storable)."""
    if isinstance(schema, dict):
        if schema.get("type") == "integer":
            schema.setdefault("maximum", INT4_MAX)
            schema.setdefault("minimum", -INT4_MAX - 1)
        for value in schema.values():
            _bound_ints(value)
    elif isinstance(schema, list):
        for value in schema:
            _bound_ints(value)
    return schema


def _component_schemas() -> tuple[dict[tuple[type[BaseModel], str], dict[str, Any]], dict[str, Any]]:
    """Every model of every operation in one pass, so two models sharing a class name get distinct components."""
    pairs: list[tuple[type[BaseModel], str]] = []
    for op in OPERATIONS:
        for model, mode in ((op.body, "validation"), (op.query, "validation"), (op.response, "serialization")):
            if model is not None and (model, mode) not in pairs:
                pairs.append((model, mode))
    refs, top = models_json_schema(pairs, ref_template=REF_TEMPLATE)
    return refs, top.get("$defs", {})


def _query_params(ref: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = components[ref["$ref"].rsplit("/", 1)[-1]]
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _bound_ints(copy.deepcopy(prop))}
        for name, prop in schema.get("properties", {}).items()
    ]


def build_openapi(title: str, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                }
            },
        }
    }
    refs, schemas = _component_schemas()
    components.update(schemas)
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        path, params = _openapi_path(op.rule)
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": op.tags,
            "operationId": f"{op.method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', path).strip('_')}",
            "parameters": params + (_query_params(refs[(op.query, "validation")], components) if op.query else []),
            "responses": {},
        }
        if op.auth:
            entry["security"] = [{"bearerAuth": []}]
        else:
            entry["security"] = []
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        if op.response is not None:
            content = {op.content_type: {"schema": refs[(op.response, "serialization")]}}
            entry["responses"][str(op.status)] = {"description": "Success", "content": content}
        elif op.content_type != "application/json":
            entry["responses"][str(op.status)] = {
                "description": "Success",
                "content": {op.content_type: {"schema": {"type": "string"}}},
            }
        else:
            entry["responses"][str(op.status)] = {"description": "Success"}
        for code in op.also:
            entry["responses"][str(code)] = entry["responses"][str(op.status)]
        error_codes = set(op.errors) | {400}
        if params:
            error_codes.add(404)
        for code in sorted(error_codes):
            entry["responses"][str(code)] = {
                "description": ERROR_STATUSES.get(code, "Error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
