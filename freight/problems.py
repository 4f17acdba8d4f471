"""OpenAPI declarations of the problem+json answers (RFC 9457) a route can give."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"


# Inline (no $ref), so the schema is the same wherever it is used.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


_TEXT = {
    400: "Malformed request",
    401: "No or bad token",
    403: "The token may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Too large",
    422: "Invalid input; `errors` names each field",
    429: "Too many requests (Retry-After says when to try again)",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each code answered as problem+json."""
    return {
        code: {
            "description": _TEXT.get(code, "Error"),
            "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}},
        }
        for code in codes
    }


# Every operation's answers, declared once here rather than on each route: the problem+json codes
# an operation can give follow from what it takes (a body, parameters, a caller) and its method.
def _codes(method: str, operation: dict[str, Any], *, public: bool) -> set[int]:
    codes = {404, 422}
    if "requestBody" in operation:
        codes |= {400, 413}
    if method in ("post", "put", "patch", "delete"):
        codes.add(409)
    if not public:
        codes |= {401, 403}
    return codes


def declare_problems(schema: dict[str, Any], *, public: set[tuple[str, str]]) -> dict[str, Any]:
    """Give every API operation its problem+json answers (422 in the shape actually served, not
    FastAPI's HTTPValidationError); `public` are the (method, path) needing no caller."""
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(("/api/", "/webhooks/", "/sandbox/")):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            declared = {int(c) for c in responses if c.isdigit() and int(c) >= 400}
            wanted = declared | _codes(method, operation, public=(method, path) in public)
            for code in sorted(wanted):
                entry = responses.setdefault(str(code), {"description": _TEXT.get(code, "Error")})
                entry["content"] = {PROBLEM: {"schema": PROBLEM_SCHEMA}}
                if code == 429:
                    entry["headers"] = {"Retry-After": _RETRY_AFTER}
        _no_null_form_fields(schema, operations)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema


def _no_null_form_fields(schema: dict[str, Any], operations: dict[str, Any]) -> None:
    """A multipart form cannot send JSON null: an optional field is just left out."""
    for operation in operations.values():
        form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
        ref = (form or {}).get("schema", {}).get("$ref", "")
        body = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1])
        for name, prop in (body or {}).get("properties", {}).items():
            kept = [p for p in prop.get("anyOf", []) if p.get("type") != "null"]
            if len(kept) == 1 and "anyOf" in prop:
                body["properties"][name] = {**{k: v for k, v in prop.items() if k != "anyOf"},
                                            **kept[0]}  # fmt: skip


_RETRY_AFTER = {"description": "seconds to wait", "schema": {"type": "integer"}}

# A CSV upload: the multipart field `file`, or the CSV as the body.
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


def public_operations(routes: list[Any]) -> set[tuple[str, str]]:
    """(method, path) of the routes that never ask who is calling (no principal dependency)."""
    public: set[tuple[str, str]] = set()
    for route in routes:
        dependant = getattr(route, "dependant", None)
        if dependant is None or _asks_caller(dependant):
            continue
        for method in getattr(route, "methods", ()):
            public.add((method.lower(), route.path))
    return public


def _asks_caller(dependant: Any) -> bool:
    name = getattr(dependant.call, "__name__", "")
    return name in _CALLER_DEPENDENCIES or any(_asks_caller(d) for d in dependant.dependencies)


_CALLER_DEPENDENCIES = frozenset({"get_principal", "get_caller"})


def bound_url_parameters(schema: dict[str, Any], pattern: str) -> dict[str, Any]:
    """Every free-form string in a path or query declares the no-control-character pattern the
    app enforces on all of them (freight.text.refuse_control_in_url)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") not in ("path", "query"):
                    continue
                top = parameter.get("schema", {})
                for part in [top, *top.get("anyOf", [])]:
                    if part.get("type") == "string" and not _SHAPED & set(part):
                        part["pattern"] = pattern
    return schema


_SHAPED = frozenset({"pattern", "enum", "format", "const"})


# Any JSON value without a NUL character in a string or a name: what a webhook body may carry
# (SPEC §10; the depth and size limits are checked on arrival).
NUL_FREE = r"^[^\x00]*$"
NUL_FREE_JSON: dict[str, Any] = {
    "anyOf": [
        {"type": ["null", "boolean", "number"]},
        {"type": "string", "pattern": NUL_FREE},
        {"type": "array", "items": {"$ref": "#/components/schemas/NulFreeJson"}},
        {
            "type": "object",
            "propertyNames": {"pattern": NUL_FREE},
            "additionalProperties": {"$ref": "#/components/schemas/NulFreeJson"},
        },
    ]
}
