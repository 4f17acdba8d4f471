"""Pure: turn a Shippo error answer (status + body, or ERROR messages) into a typed error."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from carriers.errors import (
    AddressInvalid,
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    InvalidParcel,
    LabelNotRefundable,
    RateNotFound,
)

Operation = Literal["address", "rate", "buy", "lookup", "void", "track", "file"]

_PARCEL_WORDS = re.compile(
    r"parcel|weight|dimension|length|width|height|girth|oversize|too large|mass", re.IGNORECASE
)
_ADDRESS_WORDS = re.compile(
    r"address|zip|postal|country|street|city|state|undeliverable", re.IGNORECASE
)
_RATE_GONE = re.compile(
    r"expired|not exist|not found|no longer|unknown|invalid|does not belong|foreign", re.IGNORECASE
)


def flatten(value: object, prefix: str = "") -> list[str]:
    """Every message string inside a JSON error body, with its field path."""
    if isinstance(value, str):
        return [f"{prefix}: {value}" if prefix else value]
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, item in value.items():
            if key in ("source", "type", "object_id"):
                continue
            path = str(key) if key not in ("detail", "text", "message", "messages", "code") else ""
            out.extend(flatten(item, ".".join(p for p in (prefix, path) if p)))
        return out
    if isinstance(value, Sequence):
        return [text for item in value for text in flatten(item, prefix)]
    return []


def body_text(body: str) -> str:
    """The carrier's message from a raw error body (JSON or plain text)."""
    try:
        parsed = json.loads(body)
    except (ValueError, TypeError):
        return body.strip()[:500]
    return "; ".join(dict.fromkeys(flatten(parsed)))[:500] or body.strip()[:500]


def by_words(text: str, *, status_code: int | None, default: str) -> CarrierRejected:
    """Pick InvalidParcel / AddressInvalid / CarrierRejected from the carrier's words."""
    if _PARCEL_WORDS.search(text):
        return InvalidParcel(
            "the carrier refused the parcel", carrier_message=text, status_code=status_code
        )
    if _ADDRESS_WORDS.search(text):
        return AddressInvalid(
            "the carrier refused the address", carrier_message=text, status_code=status_code
        )
    return CarrierRejected(default, carrier_message=text or None, status_code=status_code)


def rejection(op: Operation, text: str, status_code: int | None) -> CarrierError:
    """A non-retryable refusal for an operation, typed by what the carrier said."""
    if op == "address":
        return AddressInvalid("address rejected", carrier_message=text, status_code=status_code)
    if op == "buy":
        if status_code == 404 or ("rate" in text.lower() and _RATE_GONE.search(text)):
            return RateNotFound(
                "rate is unknown or expired", carrier_message=text, status_code=status_code
            )
        return by_words(text, status_code=status_code, default="label purchase refused")
    if op == "void":
        return LabelNotRefundable(
            "label cannot be voided", carrier_message=text, status_code=status_code
        )
    if op == "rate":
        return by_words(text, status_code=status_code, default="shipment refused")
    return CarrierRejected(f"{op} refused", carrier_message=text or None, status_code=status_code)


def http_error(op: Operation, status_code: int, body: str) -> CarrierError:
    """Typed error for a final (non-retried) HTTP error answer."""
    text = body_text(body)
    if status_code in (401, 403):
        return CarrierRejected(
            "carrier authentication failed", carrier_message=text, status_code=status_code
        )
    if status_code == 429 or status_code >= 500:
        return CarrierUnavailable(
            "carrier unavailable", carrier_message=text, status_code=status_code
        )
    return rejection(op, text, status_code)


def is_retryable_status(status_code: int) -> bool:
    """429 and 5xx are worth another try; other errors are final."""
    return status_code == 429 or 500 <= status_code <= 599


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header given in seconds (dates are treated as absent)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)
