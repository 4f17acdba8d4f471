"""Shippo's per-minute rate limits as data, and the gate the adapter takes a slot from. Pure.

Shippo limits each endpoint class (resource x POST / GET one / GET list) per minute, lower for
test keys ("All listed rate limits are per minute. Exceeding the rate limit will give a 429").
The gate is injected (freight/ratelimit's Limiter fits it), so every process of the service
shares one budget per key and class; carriers/ never imports freight."""

from __future__ import annotations

import hashlib
from typing import Literal, Protocol
from urllib.parse import urlsplit

Mode = Literal["live", "test"]
VerbClass = Literal["write", "get", "list"]
PERIOD_SECONDS = 60.0

# (live, test) per minute, from Shippo's published table.
_DEFAULT = {"write": (500, 50), "get": (4000, 400), "list": (50, 10)}
_SPECIAL: dict[str, dict[str, tuple[int, int]]] = {
    "batches": {"write": (50, 10), "get": (400, 40), "list": (50, 10)},
    "tracks": {"write": (500, 50), "get": (500, 50), "list": (500, 50)},
}


class CallGate(Protocol):
    """A shared sliding-window budget (e.g. freight.ratelimit.Limiter)."""

    def acquire(self, key: str, *, limit: int, period: float, max_wait: float) -> float:
        """Take a slot, waiting up to max_wait; raises TimeoutError when it would wait longer."""
        ...

    def close_until(self, key: str, until: float) -> None:
        """Stop every caller of `key` until epoch `until`."""
        ...


def mode_of(api_key: str) -> Mode:
    """Test keys start with shippo_test_; anything else is billed and limited as live."""
    token = api_key.removeprefix("ShippoToken ").strip()
    return "test" if token.startswith("shippo_test_") else "live"


def endpoint_class(method: str, path: str) -> tuple[str, VerbClass]:
    """('transactions', 'list') for GET /transactions; ('rates', 'get') for GET /rates/{id}."""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    resource = parts[0] if parts else ""
    if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
        return resource, "write"
    return resource, "list" if len(parts) <= 1 else "get"


def limit_for(resource: str, verb: VerbClass, mode: Mode) -> int:
    live, test = _SPECIAL.get(resource, _DEFAULT)[verb]
    return live if mode == "live" else test


def key_for(api_key: str, resource: str, verb: VerbClass) -> str:
    """The shared budget's name: per API key (hashed, never the key itself) and class."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return f"shippo:{digest}:{resource}:{verb}"
