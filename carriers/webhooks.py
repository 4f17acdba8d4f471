"""Parse Shippo webhook bodies into a normalized event with a stable dedup key. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from carriers.errors import UnexpectedResponse, WebhookPayloadError
from carriers.shippo.tracks import parse_datetime, tracking_from_json
from carriers.types import TrackingInfo

TRACK_EVENTS = ("track_updated",)
TRANSACTION_EVENTS = ("transaction_created", "transaction_updated")


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    event: str
    test: bool
    dedup_key: str
    metadata: str | None = None
    tracking: TrackingInfo | None = None
    transaction_id: str | None = None
    transaction_status: str | None = None
    tracking_number: str | None = None
    label_url: str | None = None
    rate_id: str | None = None


def _test_flag(body: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    value = body.get("test", data.get("test", False))
    return value is True or str(value).lower() == "true"


def _metadata(body: Mapping[str, Any], data: Mapping[str, Any]) -> str | None:
    value = data.get("metadata") or body.get("metadata")
    return str(value) if value else None


OLD_API_VERSION = (
    "track_updated carried a Transaction object: the Shippo account's API version is 2017-03-29 "
    "or older. Set the account (and its webhooks) to API version 2018-02-08, which sends Track "
    "objects; the old shape names no carrier, so it cannot be matched safely."
)


def _is_transaction(data: Mapping[str, Any]) -> bool:
    """Accounts on API versions up to 2017-03-29 send a Transaction as track_updated's data."""
    return "carrier" not in data and any(k in data for k in ("rate", "label_url", "object_state"))


def _texts(data: Mapping[str, Any], *keys: str) -> bool:
    """Each key holds a non-empty string (what the OpenAPI document declares)."""
    return all(isinstance(data.get(k), str) and data.get(k) for k in keys)


# SPEC §10: dates 1900–2200. A carrier's scan is never in the future either (beyond `not_after`,
# the receiving edge's now plus a margin): such an event would stay "newest" for good.
YEARS = (1900, 2200)
UNDATED_OK = frozenset({"UNKNOWN", "PRE_TRANSIT"})


def _checked_date(value: object, where: str, not_after: datetime | None) -> datetime | None:
    if value is None:
        return None
    when = parse_datetime(value) if isinstance(value, str) else None
    if when is None:
        raise WebhookPayloadError(f"{where} is not an ISO 8601 date-time: {str(value)[:40]!r}")
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise WebhookPayloadError(f"{where} is outside the years {YEARS[0]}–{YEARS[1]}")
    if not_after is not None and when > not_after:
        raise WebhookPayloadError(f"{where} is in the future ({when.isoformat()})")
    return when


def _check_dates(data: Mapping[str, Any], not_after: datetime | None) -> None:
    """Every scan carries a readable, plausible carrier time, or the body is refused (400):
    an event that cannot be placed in time would otherwise be dropped without a trace."""
    entries: list[tuple[str, object]] = [("tracking_status", data.get("tracking_status"))]
    history = data.get("tracking_history")
    if history is not None and not isinstance(history, list):
        raise WebhookPayloadError("tracking_history is not a list")
    entries += [(f"tracking_history[{i}]", h) for i, h in enumerate(history or [])]
    for where, entry in entries:
        if entry is None and where == "tracking_status":
            continue
        if not isinstance(entry, Mapping):
            raise WebhookPayloadError(f"{where} is not an object")
        dated = [
            _checked_date(entry.get(field), f"{where}.{field}", not_after)
            for field in ("status_date", "object_updated", "object_created")
        ]
        status = str(entry.get("status") or "UNKNOWN").upper()
        if not any(dated) and status not in UNDATED_OK:
            raise WebhookPayloadError(f"{where}.status_date is missing for status {status}")


def _track_event(
    body: Mapping[str, Any], data: Mapping[str, Any], event: str, not_after: datetime | None
) -> WebhookEvent:
    if _is_transaction(data):
        raise WebhookPayloadError(OLD_API_VERSION)
    if not _texts(data, "carrier", "tracking_number"):
        raise WebhookPayloadError("track_updated without carrier or tracking_number")
    _check_dates(data, not_after)
    try:
        info = tracking_from_json(data)
    except UnexpectedResponse as exc:
        raise WebhookPayloadError(f"unreadable track: {exc.message}") from exc
    if not info.carrier or not info.tracking_number:
        raise WebhookPayloadError("track_updated without carrier or tracking_number")
    current = data.get("tracking_status")
    current = current if isinstance(current, Mapping) else {}
    when = parse_datetime(current.get("status_date")) or parse_datetime(
        current.get("object_updated")
    )
    stamp = when.isoformat() if when else str(current.get("object_id") or "")
    # The ETA and the history are part of the key: an update that only moves the ETA, or adds
    # events under the same current status (several scans of one second), is news, not a
    # duplicate; only a redelivery of the same content is.
    eta = info.eta.isoformat() if info.eta else ""
    try:
        content = orjson.dumps(
            [current, data.get("tracking_history"), eta], option=orjson.OPT_SORT_KEYS
        )
    except TypeError:  # a value orjson will not write back (an integer beyond 64 bits)
        content = repr([current, data.get("tracking_history"), eta]).encode()
    digest = hashlib.sha256(content).hexdigest()[:32]
    key = f"track:{info.carrier.lower()}:{info.tracking_number}:{stamp}:{info.status}:{digest}"
    return WebhookEvent(
        event,
        _test_flag(body, data),
        key,
        _metadata(body, data),
        tracking=info,
        tracking_number=info.tracking_number,
    )


def _transaction_event(
    body: Mapping[str, Any], data: Mapping[str, Any], event: str
) -> WebhookEvent:
    object_id, status = data.get("object_id"), data.get("status")
    for name in ("object_id", "status", "tracking_number", "label_url"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise WebhookPayloadError(f"{event} data.{name} must be a string")
        if isinstance(value, str) and len(value) > 2000:
            raise WebhookPayloadError(f"{event} data.{name} is longer than 2000 characters")
    if not _texts(data, "object_id", "status"):
        raise WebhookPayloadError(f"{event} without object_id or status")
    rate = data.get("rate")
    rate_id = rate.get("object_id") if isinstance(rate, Mapping) else rate
    return WebhookEvent(
        event,
        _test_flag(body, data),
        f"{event}:{object_id}:{status}",
        _metadata(body, data),
        transaction_id=str(object_id),
        transaction_status=str(status),
        tracking_number=str(data.get("tracking_number") or "") or None,
        label_url=str(data.get("label_url") or "") or None,
        rate_id=str(rate_id) if rate_id else None,
    )


def parse_webhook(body: object, *, not_after: datetime | None = None) -> WebhookEvent:
    """A Shippo `{event, test, data}` body -> WebhookEvent, or WebhookPayloadError.

    `not_after`: at the receiving edge, the latest carrier time believed (now plus a margin);
    a stored event is re-read without it."""
    if not isinstance(body, Mapping):
        raise WebhookPayloadError("webhook body is not a JSON object")
    event, data = body.get("event"), body.get("data")
    if not isinstance(data, Mapping):
        raise WebhookPayloadError("webhook body has no data object")
    if event in TRACK_EVENTS:
        return _track_event(body, data, str(event), not_after)
    if event in TRANSACTION_EVENTS:
        return _transaction_event(body, data, str(event))
    raise WebhookPayloadError(f"unsupported webhook event {event!r}")
