"""Pure: Shippo Track / TrackingStatus JSON -> our TrackingInfo, events oldest first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from carriers.errors import UnexpectedResponse
from carriers.incidents import detect
from carriers.types import (
    TRACKING_STATUSES,
    Substatus,
    TrackingEvent,
    TrackingInfo,
    TrackingStatus,
)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value not in (None, "") else None


def parse_datetime(value: object) -> datetime | None:
    """ISO 8601 (with or without Z) -> aware UTC datetime; None for empty or unreadable."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def tracking_status(value: object) -> TrackingStatus:
    """Shippo's status string -> ours; anything unknown is UNKNOWN."""
    text = str(value or "").upper()
    for status in TRACKING_STATUSES:
        if status == text:
            return status
    return "UNKNOWN"


def substatus_from_json(data: object) -> Substatus | None:
    """Shippo TrackingStatusSubstatus JSON -> ours."""
    if not isinstance(data, Mapping) or not data.get("code"):
        return None
    return Substatus(
        code=str(data["code"]),
        text=str(data.get("text") or ""),
        action_required=bool(data.get("action_required")),
    )


def _location(data: object) -> str | None:
    if not isinstance(data, Mapping):
        return None
    city_state = ", ".join(carrier_text(data[k]) for k in ("city", "state") if data.get(k))
    parts = [city_state, carrier_text(data.get("zip")), carrier_text(data.get("country"))]
    text = " ".join(p for p in parts if p)
    return text or None


_CONTROLS = dict.fromkeys([*range(0x20), 0x7F], " ")  # C0 controls and DEL → a space
del _CONTROLS[0x09], _CONTROLS[0x0A]  # tab and newline stay, as in free text (SPEC §10)
_CLEAN = str.maketrans(_CONTROLS)


def carrier_text(value: object) -> str:
    """A carrier's free text as shown to staff and customers: no terminal escapes or other
    control characters (they would reach pages, CSV exports and logs as sent)."""
    return str(value or "").translate(_CLEAN).strip()


def event_from_json(data: Mapping[str, Any]) -> TrackingEvent | None:
    """One Shippo TrackingStatus JSON -> a TrackingEvent (None when it has no time)."""
    when = parse_datetime(data.get("status_date")) or parse_datetime(data.get("object_created"))
    if when is None:
        return None
    return TrackingEvent(
        status=tracking_status(data.get("status")),
        substatus=substatus_from_json(data.get("substatus")),
        text=carrier_text(data.get("status_details")),
        occurred_at=when,
        location=_location(data.get("location")),
    )


def tracking_from_json(data: Mapping[str, Any]) -> TrackingInfo:
    """Shippo Track JSON -> TrackingInfo with events oldest first and any incident."""
    history = data.get("tracking_history") or []
    if not isinstance(history, list):
        raise UnexpectedResponse("tracking_history is not a list")
    events = [e for e in (event_from_json(h) for h in history if isinstance(h, Mapping)) if e]
    events.sort(key=lambda e: e.occurred_at)
    current = data.get("tracking_status")
    current = current if isinstance(current, Mapping) else {}
    status = tracking_status(current.get("status"))
    substatus = substatus_from_json(current.get("substatus"))
    text = str(current.get("status_details") or "")
    return TrackingInfo(
        carrier=str(data.get("carrier") or ""),
        tracking_number=str(data.get("tracking_number") or ""),
        status=status,
        substatus=substatus,
        events=tuple(events),
        eta=parse_datetime(data.get("eta")),
        incident=detect(status, substatus, text, events),
        metadata=_text(data, "metadata"),
        current=event_from_json(current) if parse_datetime(current.get("status_date")) else None,
    )
