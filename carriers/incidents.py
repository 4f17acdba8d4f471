"""Damage/loss detection from tracking data: the rules are data, read top to bottom. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

from carriers.types import Incident, IncidentKind, Substatus, TrackingEvent, TrackingStatus

# Shippo substatus code -> incident kind. First source of truth.
SUBSTATUS_RULES: dict[str, IncidentKind] = {
    "package_damaged": "damage",
    "package_lost": "loss",
    "package_disposed": "loss",
    "return_to_sender": "returned",
    "package_returned": "returned",
    "package_undeliverable": "failure",
}

# Fallback: words in the carrier's free text, checked in order.
TEXT_RULES: tuple[tuple[re.Pattern[str], IncidentKind], ...] = (
    (re.compile(r"\bdamag", re.IGNORECASE), "damage"),
    (re.compile(r"\bcrushed\b", re.IGNORECASE), "damage"),
    (re.compile(r"\blost\b", re.IGNORECASE), "loss"),
    (re.compile(r"\bdisposed\b", re.IGNORECASE), "loss"),
)

# Last resort: a terminal status with no code and no telling words.
STATUS_RULES: dict[TrackingStatus, IncidentKind] = {
    "RETURNED": "returned",
    "FAILURE": "failure",
}


def classify(status: TrackingStatus, substatus: Substatus | None, text: str) -> Incident | None:
    """Return the incident one tracking status reveals, if any."""
    code = substatus.code if substatus else None
    if code and code in SUBSTATUS_RULES:
        return Incident(SUBSTATUS_RULES[code], code, substatus.text if substatus else text)
    words = " ".join(part for part in (text, substatus.text if substatus else "") if part)
    for pattern, kind in TEXT_RULES:
        if pattern.search(words):
            return Incident(kind, code, words)
    if status in STATUS_RULES:
        return Incident(STATUS_RULES[status], code, words or status)
    return None


def detect(
    status: TrackingStatus,
    substatus: Substatus | None,
    text: str,
    events: Iterable[TrackingEvent] = (),
) -> Incident | None:
    """Return the incident of the current status, else damage seen earlier in the history."""
    current = classify(status, substatus, text)
    if current is not None:
        return current
    for event in reversed(list(events)):
        found = classify(event.status, event.substatus, event.text)
        # Damage stays true after delivery; a loss or return is superseded by later scans.
        if found is not None and found.kind == "damage":
            return found
    return None
