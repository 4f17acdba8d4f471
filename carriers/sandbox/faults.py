"""Fault injection rules: "endpoint:probability:kind[:param]" entries, comma separated. Pure.

Kinds: 500/502/503 (answer an error, nothing done), 429 (param = Retry-After seconds, default 1),
timeout (nothing done, the client times out; param = seconds to hang over HTTP, default 15),
lost_response (the request IS processed, then the answer is lost like a timeout),
latency (param = milliseconds added). Endpoint is the first path segment ("transactions",
"shipments", "tracks", ...) or "*", optionally limited to one method with "@post" / "@get"
("transactions@post"). Example: "transactions:0.1:lost_response,*:0.2:500".
"""

from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("500", "502", "503", "429", "timeout", "lost_response", "latency")
DEFAULT_PARAM = {"429": 1.0, "timeout": 15.0, "lost_response": 15.0, "latency": 200.0}


class FaultSpecError(ValueError):
    """A fault string that cannot be parsed."""


@dataclass(frozen=True)
class Fault:
    endpoint: str
    probability: float
    kind: str
    param: float = 0.0


def parse(spec: str | None) -> tuple[Fault, ...]:
    """Parse a fault string; empty or None means no faults."""
    faults: list[Fault] = []
    for raw in (spec or "").split(","):
        entry = raw.strip()
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) not in (3, 4) or parts[2] not in KINDS:
            raise FaultSpecError(f"bad fault entry {entry!r}; want endpoint:probability:kind")
        try:
            probability = float(parts[1])
            param = float(parts[3]) if len(parts) == 4 else DEFAULT_PARAM.get(parts[2], 0.0)
        except ValueError as exc:
            raise FaultSpecError(f"bad number in fault entry {entry!r}") from exc
        if not 0.0 <= probability <= 1.0:
            raise FaultSpecError(f"probability out of range in {entry!r}")
        faults.append(Fault(parts[0].strip().lower() or "*", probability, parts[2], param))
    return tuple(faults)


def pick(faults: tuple[Fault, ...], endpoint: str, method: str, rng: random.Random) -> Fault | None:
    """Roll once; the matching entries share the roll in order, so probabilities add up."""
    names = ("*", endpoint, f"{endpoint}@{method.lower()}", f"*@{method.lower()}")
    matching = [f for f in faults if f.endpoint in names]
    if not matching:
        return None
    roll, edge = rng.random(), 0.0
    for fault in matching:
        edge += fault.probability
        if roll < edge:
            return fault
    return None
