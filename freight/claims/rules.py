"""Carrier damage/loss claims: who files, by when, what evidence to keep (P-CLAIM). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from freight.carrier_registry import display_name
from freight.rules import Decision, Lifecycle, RuleError

Basis = Literal["delivery", "mailing", "pickup"]
ClaimKind = Literal["damage", "concealed_damage", "loss"]
Filer = Literal["customer", "sender", "vendor"]


@dataclass(frozen=True)
class ClaimDeadline:
    """Days a carrier allows for a claim, counted from the basis event."""

    days: int
    basis: Basis
    international_days: int | None = None  # when the international limit differs

    def days_for(self, international: bool) -> int:
        """The limit for a domestic or international shipment."""
        if international and self.international_days is not None:
            return self.international_days
        return self.days


DEFAULT_CARRIER = "default"
# SPEC §5 defaults; keys are Shippo carrier tokens (lower case).
CLAIM_DEADLINES: Mapping[str, ClaimDeadline] = MappingProxyType(
    {
        "ups": ClaimDeadline(60, "delivery"),
        "fedex": ClaimDeadline(60, "delivery", international_days=21),
        "usps": ClaimDeadline(60, "mailing"),
        "dhl_express": ClaimDeadline(30, "pickup"),
        DEFAULT_CARRIER: ClaimDeadline(30, "delivery"),
    }
)

# When the basis event is unknown, fall back to the nearest known event; hand-over dates come
# before delivery so the deadline errs early (filing early is always safe), and "now" is last.
_FALLBACKS: Mapping[Basis, tuple[Basis, ...]] = {
    "mailing": ("mailing", "pickup", "delivery"),
    "pickup": ("pickup", "mailing", "delivery"),
    "delivery": ("delivery", "pickup", "mailing"),
}


# The argument each basis comes from, so a refusal names the field the caller passed.
_ARGUMENT: Mapping[Basis, str] = {
    "delivery": "delivered_at",
    "mailing": "mailed_at",
    "pickup": "picked_up_at",
}


def _date_of(moment: datetime, name: str) -> date:
    """The calendar date of an aware datetime in its own zone (carriers count local days)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RuleError(f"{name} must be timezone-aware.", field=name)
    return moment.date()


def claim_file_by(
    *,
    carrier: str,
    international: bool,
    delivered_at: datetime | None,
    mailed_at: datetime | None,
    picked_up_at: datetime | None,
    now: datetime,
) -> tuple[date, str]:
    """P-CLAIM: the last day to file with the carrier, and a sentence saying how it was counted."""
    token = carrier.strip().lower()
    rule = CLAIM_DEADLINES.get(token, CLAIM_DEADLINES[DEFAULT_CARRIER])
    days = rule.days_for(international)
    known: dict[Basis, datetime | None] = {
        "delivery": delivered_at,
        "mailing": mailed_at,
        "pickup": picked_up_at,
    }
    today = _date_of(now, "now")  # checked even when an event date is known
    used: Basis | None = next((b for b in _FALLBACKS[rule.basis] if known[b] is not None), None)
    moment = known[used] if used else None
    start = _date_of(moment, _ARGUMENT[used]) if moment is not None and used else today
    scope = " (international)" if international and rule.international_days is not None else ""
    name = display_name(token, unknown="Carrier")
    sentence = f"{name}: within {days} days after {rule.basis}{scope}"
    if used != rule.basis:
        counted = f"counted from {used}" if used else "counted from today"
        sentence += f" (no {rule.basis} date known, {counted})"
    return start + timedelta(days=days), sentence


def claim_filer(direction: Literal["inbound", "outbound"]) -> tuple[Filer, Decision]:
    """Who files a carrier claim: the customer for outbound, the sender for inbound."""
    if direction == "outbound":
        return "customer", Decision(
            "P-CLAIM",
            "You file any damage or loss claim with the carrier (or your insurer); "
            "keep the shipping container, packing material and unit intact until it is settled.",
            "customer_files",
        )
    if direction == "inbound":
        return "sender", Decision(
            "P-INBOUND",
            "The sender files any claim with its carrier: the vendor is not liable for "
            "items lost or damaged on the way to the repair depot.",
            "sender_files",
        )
    raise RuleError(
        f"direction must be 'inbound' or 'outbound', not {direction!r}.", field="direction"
    )


_COMMON_EVIDENCE = (
    "The tracking number and a copy of the shipping label.",
    "Proof of value: the invoice or packing slip.",
)
_EVIDENCE: Mapping[ClaimKind, tuple[str, ...]] = {
    "damage": (
        "Point out the visible damage to the carrier at delivery, or report it at once.",
        "Keep the shipping container, packing material and unit intact.",
        "Photos of the carton (all sides, with the label) and of the damaged unit.",
        *_COMMON_EVIDENCE,
    ),
    "concealed_damage": (
        "Report concealed damage to the carrier promptly, as soon as it is found.",
        "Keep the shipping container, packing material and unit intact.",
        "Photos of the carton (all sides, with the label) and of the damaged unit.",
        *_COMMON_EVIDENCE,
    ),
    "loss": (
        "Proof of shipment: the carrier receipt or pickup confirmation.",
        *_COMMON_EVIDENCE,
        "A description of the contents and packaging to help the carrier trace the parcel.",
    ),
}


def evidence_checklist(kind: ClaimKind) -> tuple[str, ...]:
    """What to keep and gather for a claim of this kind."""
    try:
        return _EVIDENCE[kind]
    except KeyError:
        raise RuleError(f"Unknown claim kind {kind!r}.", field="kind") from None


class ClaimStatus(StrEnum):
    OPEN = "open"
    NOTIFIED = "notified"
    FILED = "filed"
    CLOSED = "closed"
    EXPIRED = "expired"


_C = ClaimStatus
# open → notified (filer told) → filed (filer confirms) → closed; unfiled claims may be closed
# (filer declines) or expire when the carrier deadline passes. closed and expired are terminal.
CLAIM_TRANSITIONS: Mapping[ClaimStatus, frozenset[ClaimStatus]] = MappingProxyType(
    {
        _C.OPEN: frozenset({_C.NOTIFIED, _C.FILED, _C.CLOSED, _C.EXPIRED}),
        _C.NOTIFIED: frozenset({_C.FILED, _C.CLOSED, _C.EXPIRED}),
        _C.FILED: frozenset({_C.CLOSED}),
        _C.CLOSED: frozenset(),
        _C.EXPIRED: frozenset(),
    }
)
UNFILED_STATUSES = frozenset({_C.OPEN, _C.NOTIFIED})


CLAIM_LIFECYCLE = Lifecycle("claim", CLAIM_TRANSITIONS, ClaimStatus, rule="P-CLAIM")
check_claim_transition = CLAIM_LIFECYCLE.check


def expire_decision(status: ClaimStatus | str, file_by: date, today: date) -> Decision | None:
    """An expiry decision once the filing deadline has passed on an unfiled claim."""
    if CLAIM_LIFECYCLE.status(status) not in UNFILED_STATUSES or today <= file_by:
        return None
    return Decision(
        "P-CLAIM",
        f"The carrier's claim deadline ({file_by.isoformat()}) has passed without a filed claim.",
        "claim_deadline_passed",
    )


# Claims from carrier incidents (P-CLAIM) --------------------------------------------------------


@dataclass(frozen=True)
class IncidentClaim:
    """How a carrier incident becomes a claim: its kind, and whether staff must review it first."""

    kind: ClaimKind
    review: bool
    note: str


# Incident kinds come from carriers/incidents.py (damage | loss | returned | failure).
# A return or a delivery failure is not yet a loss: it is flagged for staff review.
INCIDENT_CLAIMS: Mapping[str, IncidentClaim] = MappingProxyType(
    {
        "damage": IncidentClaim("damage", False, "The carrier reported the parcel damaged."),
        "loss": IncidentClaim("loss", False, "The carrier reported the parcel lost."),
        "returned": IncidentClaim(
            "loss", True, "The carrier is returning the parcel to its sender: review it."
        ),
        "failure": IncidentClaim(
            "loss", True, "The carrier could not deliver the parcel: review it."
        ),
    }
)


def incident_claim(incident_kind: str) -> IncidentClaim | None:
    """The claim a carrier incident opens, or None for an incident kind we do not know."""
    return INCIDENT_CLAIMS.get(incident_kind)


# When several signals hit one claim, the strongest kind wins: seen damage beats concealed
# damage beats a possible loss (a damaged parcel was, after all, not lost).
_KIND_RANK: Mapping[str, int] = MappingProxyType({"loss": 0, "concealed_damage": 1, "damage": 2})


def merged_kind(
    current: str, signal: str, *, current_review: bool, signal_review: bool, follow_up: bool = False
) -> str:
    """The claim kind after a new signal: a reviewed flag yields to a confirmed incident. A
    follow-up from the same source (a second customer report) never changes concealed damage
    into visible damage or back: when the damage was found is settled by the first report."""
    if follow_up and current != "loss" and signal != "loss" and not current_review:
        return current
    if current_review and not signal_review:
        return signal
    if signal_review and not current_review:
        return current
    return signal if _KIND_RANK.get(signal, 0) > _KIND_RANK.get(current, 0) else current


# Damage-report photos ---------------------------------------------------------------------------

# Magic bytes → (media type, extension); the declared content type is never trusted.
_IMAGE_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
)
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a JPEG, PNG, WebP or HEIC file from its first bytes, else None."""
    for magic, offset, media, ext in _IMAGE_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if media == "image/webp" and head[:4] != b"RIFF":
                continue
            return media, ext
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "image/heic", "heic"
    return None
