"""Sandbox tracking timelines: scripted scenarios, Shippo's test numbers, Track JSON. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

Json = dict[str, Any]
Where = Literal["from", "hub", "to"]


@dataclass(frozen=True)
class Step:
    status: str
    code: str
    text: str
    after_hours: int
    where: Where
    action_required: bool = False


_LABEL = Step(
    "PRE_TRANSIT", "information_received", "Shipping label created, awaiting item", 0, "from"
)
_ACCEPTED = Step("TRANSIT", "package_accepted", "Accepted at origin facility", 12, "from")
_DEPARTED = Step("TRANSIT", "package_departed", "Departed regional sort facility", 30, "hub")
_OUT = Step("TRANSIT", "out_for_delivery", "Out for delivery", 60, "to")

SCENARIOS: dict[str, tuple[Step, ...]] = {
    "delivered": (
        _LABEL,
        _ACCEPTED,
        _DEPARTED,
        _OUT,
        Step("DELIVERED", "delivered", "Delivered, left at front desk", 66, "to"),
    ),
    "damaged": (
        _LABEL,
        _ACCEPTED,
        Step(
            "TRANSIT",
            "package_damaged",
            "Package damaged in transit, carton crushed",
            30,
            "hub",
            action_required=True,
        ),
        _OUT,
        Step("DELIVERED", "delivered", "Delivered with damage noted", 66, "to"),
    ),
    "lost": (
        _LABEL,
        _ACCEPTED,
        Step("TRANSIT", "delayed", "Delayed in transit", 48, "hub"),
        Step(
            "FAILURE",
            "package_lost",
            "Package lost, carrier trace unsuccessful",
            120,
            "hub",
            action_required=True,
        ),
    ),
    "returned": (
        _LABEL,
        _ACCEPTED,
        _OUT,
        Step(
            "TRANSIT",
            "delivery_attempted",
            "Delivery attempted, business closed",
            62,
            "to",
            action_required=True,
        ),
        Step("RETURNED", "return_to_sender", "Returned to sender", 96, "from"),
    ),
    "failure": (
        _LABEL,
        _ACCEPTED,
        _OUT,
        Step(
            "FAILURE",
            "package_undeliverable",
            "Undeliverable as addressed",
            64,
            "to",
            action_required=True,
        ),
    ),
}

# Markers chosen by the to-address street2, the metadata, or a registered tracking number.
MARKERS: tuple[tuple[str, str], ...] = (
    ("DAMAGED", "damaged"),
    ("LOST", "lost"),
    ("RETURNED", "returned"),
    ("FAILURE", "failure"),
)

# Shippo's test numbers (carrier "shippo"): scenario and how many of its steps have happened.
TEST_NUMBERS: dict[str, tuple[str, int]] = {
    "SHIPPO_PRE_TRANSIT": ("delivered", 1),
    "SHIPPO_TRANSIT": ("delivered", 3),
    "SHIPPO_DELIVERED": ("delivered", 5),
    "SHIPPO_RETURNED": ("returned", 5),
    "SHIPPO_FAILURE": ("failure", 4),
    "SHIPPO_UNKNOWN": ("delivered", 0),
}
TEST_EPOCH = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)
HUB = {"city": "Memphis", "state": "TN", "zip": "38118", "country": "US"}


def scenario_for(*texts: str | None, prefix: str = "SANDBOX:") -> str:
    """The scenario named by a marker such as "SANDBOX:DAMAGED" in any text; else delivered."""
    for text in texts:
        upper = (text or "").upper()
        for word, scenario in MARKERS:
            if f"{prefix}{word}" in upper:
                return scenario
    return "delivered"


def new_track(
    carrier: str, tracking_number: str, *, scenario: str, started_at: datetime, **extra: Any
) -> Json:
    """A stored track record whose first step (label created) has happened."""
    record: Json = {
        "carrier": carrier,
        "tracking_number": tracking_number,
        "scenario": scenario,
        "started_at": iso(started_at),
        "emitted": [],
        **extra,
    }
    advance(record, started_at, 1)
    return record


def advance(record: Json, now: datetime, steps: int = 1) -> int:
    """Move a track `steps` along its script, stamped `now`; returns how many moved."""
    script = SCENARIOS[record["scenario"]]
    moved = 0
    while moved < steps and len(record["emitted"]) < len(script):
        record["emitted"].append(iso(now))
        moved += 1
    return moved


def catch_up(record: Json, now: datetime) -> int:
    """Emit the steps whose scheduled time (hours after the purchase) has passed."""
    script = SCENARIOS[record["scenario"]]
    started = datetime.fromisoformat(record["started_at"])
    moved = 0
    while len(record["emitted"]) < len(script):
        step = script[len(record["emitted"])]
        due = started + timedelta(hours=step.after_hours)
        if due > now:
            break
        record["emitted"].append(iso(due))
        moved += 1
    return moved


def test_track(tracking_number: str, metadata: str | None, *, ends_at: datetime | None) -> Json:
    """A record for one of Shippo's SHIPPO_* test numbers (fixed, deterministic history).

    Registered (POST /tracks), its history ends when it was registered, as a parcel handed in
    after its Repair Request was issued would; only looked up, it is the fixed 2024 history."""
    scenario, count = TEST_NUMBERS[tracking_number]
    script = SCENARIOS[scenario]
    started = TEST_EPOCH
    if ends_at is not None and count:
        started = ends_at.replace(microsecond=0) - timedelta(hours=script[count - 1].after_hours)
    emitted = [iso(started + timedelta(hours=s.after_hours)) for s in script[:count]]
    return {
        "carrier": "shippo",
        "tracking_number": tracking_number,
        "scenario": scenario,
        "started_at": iso(started),
        "emitted": emitted,
        "metadata": metadata,
    }


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with a Z, as Shippo writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _location(record: Mapping[str, Any], where: Where) -> Json:
    if where == "hub":
        return dict(HUB)
    found = record.get("address_from" if where == "from" else "address_to") or {}
    return {k: str(found.get(k) or "") for k in ("city", "state", "zip", "country")}


def status_json(record: Mapping[str, Any], index: int) -> Json:
    """One TrackingStatus object for step `index` of a record."""
    step = SCENARIOS[record["scenario"]][index]
    at = record["emitted"][index]
    digest = hashlib.sha1(f"{record['tracking_number']}:{index}".encode()).hexdigest()[:32]  # noqa: S324 - an id derived from the number, not a security hash
    return {
        "object_id": digest,
        "object_created": at,
        "object_updated": at,
        "status": step.status,
        "status_details": step.text,
        "status_date": at,
        "substatus": {
            "code": step.code,
            "text": step.text,
            "action_required": step.action_required,
        },
        "location": _location(record, step.where),
    }


def unknown_status(now: datetime) -> Json:
    """The TrackingStatus Shippo gives a number the carrier has not seen."""
    return {
        "object_id": "0" * 32,
        "object_created": iso(now),
        "object_updated": iso(now),
        "status": "UNKNOWN",
        "status_details": "The carrier has not received any information about this package.",
    }


def track_json(record: Mapping[str, Any], now: datetime) -> Json:
    """The Shippo Track JSON for a record."""
    history = [status_json(record, i) for i in range(len(record.get("emitted") or []))]
    body: Json = {
        "carrier": record["carrier"],
        "tracking_number": record["tracking_number"],
        "tracking_status": history[-1] if history else unknown_status(now),
        "tracking_history": history,
        "messages": [],
        "metadata": record.get("metadata") or "",
        "test": True,
    }
    for key in ("eta", "original_eta"):
        if record.get("eta"):
            body[key] = record["eta"]
    if record.get("transaction"):
        body["transaction"] = record["transaction"]
    if record.get("servicelevel"):
        body["servicelevel"] = record["servicelevel"]
    for key in ("address_from", "address_to"):
        if record.get(key):
            body[key] = _location(record, "from" if key == "address_from" else "to")
    return body
