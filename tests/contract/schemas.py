"""Validate sandbox answers against the response schemas of Shippo's published OpenAPI spec."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path("/work/shared/reference/shippo-public-api.yaml")
SPEC_URI = "urn:shippo-public-api"


@cache
def spec() -> dict[str, Any]:
    """The parsed OpenAPI document."""
    loaded = yaml.safe_load(SPEC_PATH.read_text())
    assert isinstance(loaded, dict)
    return loaded


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = DRAFT202012.create_resource(spec())
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


def validator(schema_name: str) -> Draft202012Validator:
    """A validator for components/schemas/<name>, with every $ref resolved in the spec."""
    schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=_registry())


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template.rstrip("/")) + "/?$")


def response_schema(method: str, path: str, status: int) -> str | None:
    """The schema name the spec gives for this answer, or None if the spec lists none."""
    candidates = []
    for template, operations in spec()["paths"].items():
        if _template_regex(template).match(path) and method.lower() in operations:
            candidates.append((template.count("{"), operations[method.lower()]))
    if not candidates:
        return None
    operation = sorted(candidates, key=lambda c: c[0])[0][1]
    response = operation.get("responses", {}).get(str(status))
    if response is None:
        return None
    ref = response.get("$ref", "")
    if ref.startswith("#/components/responses/"):
        response = spec()["components"]["responses"][ref.rsplit("/", 1)[1]]
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    target = schema.get("$ref", "")
    return target.rsplit("/", 1)[1] if target else None


def errors_for(schema_name: str, instance: Any) -> list[str]:
    """Every validation error message (empty when the instance is valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(schema_name).iter_errors(instance)
    ]


def spec_problems(exchanges: Any) -> list[str]:
    """Every recorded sandbox API answer checked against the spec (429s, which the spec does
    not list, must carry Shippo's rate-limit headers instead)."""
    import json

    problems: list[str] = []
    for request, response in exchanges:
        if request.path.startswith("/sandbox/") or response.status in (204, 500, 502, 503, 504):
            continue  # (5xx: injected faults, which the spec does not describe)
        if response.status == 429:
            if "X-RateLimit-Reset" not in response.headers:
                problems.append(f"{request.method} {request.path}: 429 without X-RateLimit-Reset")
            continue
        schema = response_schema(request.method, request.path, response.status)
        if schema is None:
            problems.append(f"{request.method} {request.path} {response.status} not in the spec")
            continue
        body = response.body if isinstance(response.body, dict) else json.loads(response.encode())
        problems += [f"{request.method} {request.path}: {e}" for e in errors_for(schema, body)]
    return problems
