"""Pure helpers for the adapter: SDK results to JSON, SDK errors to typed errors."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from carriers.errors import CarrierRejected, CarrierUnavailable, UnexpectedResponse
from carriers.shippo import tracks
from carriers.shippo.classify import (
    Operation,
    body_text,
    http_error,
    is_retryable_status,
    retry_after_seconds,
)
from carriers.shippo.retry import TransientError
from carriers.types import TrackingInfo

Json = dict[str, Any]


def from_sdk_error(op: Operation, exc: Any) -> Exception:
    status, body = int(exc.status_code), str(exc.body or "")
    if is_retryable_status(status):
        headers = getattr(exc.raw_response, "headers", None) or {}
        return TransientError(
            f"HTTP {status}",
            status_code=status,
            retry_after=retry_after_seconds(headers.get("Retry-After")),
            carrier_message=body_text(body),
            ambiguous=status != 429,
        )
    if 200 <= status < 300:
        return UnexpectedResponse(f"{op}: unexpected answer {status}", carrier_message=body[:300])
    return http_error(op, status, body)


def as_json(result: Any) -> Json:
    """An SDK model (or already-decoded JSON) -> plain Shippo JSON."""
    if isinstance(result, dict):
        return result
    if result is None or not hasattr(result, "to_json"):
        raise UnexpectedResponse("empty or unreadable carrier answer")
    decoded = json.loads(result.to_json())
    if not isinstance(decoded, dict):
        raise UnexpectedResponse("carrier answer is not an object")
    return decoded


def to_model(cls: Any, body: Json) -> Any:
    try:
        return cls.from_dict(body)
    except (ValueError, KeyError, TypeError) as exc:
        raise CarrierRejected(
            "request cannot be expressed for the carrier", carrier_message=str(exc)
        ) from exc


def unavailable(op: str, exc: TransientError) -> CarrierUnavailable:
    return CarrierUnavailable(
        f"{op}: carrier unavailable after retries ({exc.reason})",
        carrier_message=exc.carrier_message,
        status_code=exc.status_code,
    )


def tracking_info(data: Json, carrier: str, tracking_number: str) -> TrackingInfo:
    info = tracks.tracking_from_json(data)
    return replace(
        info,
        carrier=info.carrier or carrier,
        tracking_number=info.tracking_number or tracking_number,
    )
