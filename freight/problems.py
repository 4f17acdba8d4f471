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
