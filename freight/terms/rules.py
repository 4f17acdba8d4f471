"""Who pays freight (SPEC §2 P-NA, P-QUOTE, P-INBOUND, P-EXPORT). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from freight.geo.rules import Region, check_export, country_name, region_of, resolve_country
from freight.rules import RuleError

Direction = Literal["inbound", "outbound"]
Kind = Literal["repair", "credit_return"]
Purpose = Literal["repair_return", "return_to_sender", "customer_inbound"]
Payer = Literal["vendor", "customer", "sender"]

_DIRECTIONS = ("inbound", "outbound")
_KINDS = ("repair", "credit_return")
_PURPOSES = ("repair_return", "return_to_sender", "customer_inbound")

INBOUND_REASON = (
    "The sender prepays freight to the repair depot; COD or freight-collect packages are refused."
)


@dataclass(frozen=True)
class FreightTerms:
    payer: Payer
    card_required: bool
    rule: str
    reason: str
    region: Region

    def as_json(self) -> dict[str, str | bool]:
        """The wire shape (SPEC §3 FreightTerms)."""
        return {
            "payer": self.payer,
            "card_required": self.card_required,
            "rule": self.rule,
            "reason": self.reason,
            "region": self.region,
        }


@dataclass(frozen=True)
class TermsPolicy:
    north_america: frozenset[str]
    export_restricted: frozenset[str]

    @classmethod
    def of(cls, north_america: Iterable[str], export_restricted: Iterable[str]) -> TermsPolicy:
        """Build from configured code lists, validating every code (a typo must not pass)."""
        return cls(
            north_america=frozenset(resolve_country(c) for c in north_america),
            export_restricted=frozenset(resolve_country(c) for c in export_restricted),
        )


def _check_inputs(direction: str, kind: str, purpose: str | None) -> None:
    """Reject values outside the literals and contradictory direction/purpose pairs."""
    if direction not in _DIRECTIONS:
        raise RuleError(
            f"direction must be 'inbound' or 'outbound', not {direction!r}.", field="direction"
        )
    if kind not in _KINDS:
        raise RuleError(f"kind must be 'repair' or 'credit_return', not {kind!r}.", field="kind")
    if purpose is not None and purpose not in _PURPOSES:
        raise RuleError(f"purpose {purpose!r} is not known.", field="purpose")
    if purpose is None:
        return
    if (direction == "inbound") != (purpose == "customer_inbound"):
        raise RuleError(
            f"purpose {purpose!r} does not fit a {direction} shipment.", field="purpose"
        )


def _outbound_reason(place: str, *, north_america: bool, to_sender: bool) -> str:
    """The customer sentence for an outbound decision."""
    lead = f"This is a return to sender to {place}" if to_sender else f"Shipping to {place}"
    if north_america:
        return f"{lead} in North America: the vendor prepays freight and you are not charged."
    return (
        f"{lead}, outside North America: freight is quoted, and you must accept the quote "
        "and give a valid credit card before the label is bought."
    )


def decide_terms(
    *,
    direction: Direction,
    country: str,
    kind: Kind = "repair",
    purpose: Purpose | None = None,
    policy: TermsPolicy,
) -> FreightTerms:
    """Decide who pays freight for one shipment; raises CountryError or ExportRestrictedError."""
    _check_inputs(direction, kind, purpose)
    try:
        alpha2 = resolve_country(country)
    except RuleError as exc:
        exc.field = "country"
        raise
    region = region_of(alpha2, policy.north_america)
    if direction == "inbound":
        # Inbound goes to the depot, so the export list (about destinations) does not apply.
        return FreightTerms("sender", False, "P-INBOUND", INBOUND_REASON, region)
    check_export(alpha2, policy.export_restricted)
    to_sender = purpose == "return_to_sender" or kind == "credit_return"
    place = f"{country_name(alpha2)} ({alpha2})"
    is_na = region == "north_america"
    reason = _outbound_reason(place, north_america=is_na, to_sender=to_sender)
    if is_na:
        return FreightTerms("vendor", False, "P-NA", reason, region)
    return FreightTerms("customer", True, "P-QUOTE", reason, region)
