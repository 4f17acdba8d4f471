"""Outbound shipment policy: which rate to buy, insurance, customs, active states. Pure.

Rate selection (rule id RATE-PICK, configurable through `max_transit_days`):
1. A service named in the RR's special requirements wins ("UPS 2nd Day Air", "fedex_ground").
2. Else a carrier named there ("ship via FedEx") narrows the choice to that carrier.
3. Among the candidates: the cheapest whose estimated transit is within `max_transit_days`;
   if none is, the fastest (then cheapest). Ties break on rate id for determinism.
Insurance (P-INSURE): only when the customer asked for it, for the declared value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carriers.types import Rate
from freight.carrier_registry import aliases as carrier_aliases
from freight.money import Money
from freight.rules import RuleError

# Internal life cycle of a shipment row (`Shipment.state`).
DRAFT = "draft"  # return-to-sender row made at receipt, not yet rated
QUOTED = "quoted"  # rated; a quote waits for the customer (P-QUOTE)
QUOTE_LAPSED = "quote_lapsed"  # its quote expired; a new request re-rates this row
PURCHASING = "purchasing"  # label purchase queued (vendor-paid, or quote accepted)
LABELED = "labeled"
VOID_PENDING = "void_pending"  # refund asked for; the carrier has not decided yet
VOIDED = "voided"
FAILED = "failed"
# Rows in these states block a second outbound request for the same RR.
IN_FLIGHT = frozenset({QUOTED, PURCHASING, LABELED, VOID_PENDING})


@dataclass(frozen=True)
class RateChoice:
    rate: Rate
    rule: str
    reason: str


def _norm(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() + " "


def _mentions(text: str, phrase: str) -> bool:
    phrase = _norm(phrase)
    return phrase.strip() != "" and phrase in text


def _service_match(text: str, rate: Rate) -> int:
    """Length of the service phrase the text names for this rate (0 = not named)."""
    carrier_said = any(_mentions(text, n) for n in carrier_aliases(rate.carrier))
    best = 0
    if rate.service_token and _mentions(text, rate.service_token):
        best = len(rate.service_token)
    name = rate.service.strip()
    # A one-word service name ("Ground") counts only next to its carrier ("UPS Ground").
    generic = len(name.split()) < 2 and not any(
        n in name.lower() for n in carrier_aliases(rate.carrier)
    )
    if name and _mentions(text, name) and (carrier_said or not generic):
        best = max(best, len(name))
    return best


def requested_service(rates: Sequence[Rate], requirements: str) -> list[Rate]:
    """Rates whose service the special requirements name (longest phrase wins)."""
    text = _norm(requirements or "")
    scored = [(r, _service_match(text, r)) for r in rates]
    top = max((score for _, score in scored), default=0)
    return [r for r, score in scored if top and score == top]


def requested_carrier(rates: Sequence[Rate], requirements: str) -> list[Rate]:
    """Rates of a carrier the special requirements name."""
    text = _norm(requirements or "")
    return [r for r in rates if any(_mentions(text, n) for n in carrier_aliases(r.carrier))]


def _cheapest_within(rates: Sequence[Rate], max_days: int) -> tuple[Rate, bool]:
    within = [r for r in rates if r.estimated_days is not None and r.estimated_days <= max_days]
    if within:
        return min(within, key=lambda r: (r.amount.amount, r.estimated_days or 0, r.rate_id)), True
    return min(rates, key=lambda r: (r.estimated_days or 999, r.amount.amount, r.rate_id)), False


def select_rate(
    rates: Sequence[Rate], *, max_transit_days: int, requirements: str = ""
) -> RateChoice:
    """Pick the rate to buy (see module docstring); raises RuleError when there is none."""
    if not rates:
        raise RuleError("The carrier returned no rates for this parcel.", rule="RATE-PICK")
    if named := requested_service(rates, requirements):
        rate, _ = _cheapest_within(named, max_transit_days)
        return RateChoice(
            rate,
            "P-INSURE",
            f"{rate.service} ({rate.carrier}) named in the special "
            "requirements given when the RR was opened.",
        )
    candidates, why = list(rates), ""
    if by_carrier := requested_carrier(rates, requirements):
        candidates, why = (
            by_carrier,
            f"carrier {by_carrier[0].carrier} named in the special requirements; ",
        )
    rate, within = _cheapest_within(candidates, max_transit_days)
    if within:
        reason = f"{why}cheapest rate within {max_transit_days} transit days"
    else:
        reason = f"{why}no rate within {max_transit_days} transit days; fastest available"
    return RateChoice(rate, "RATE-PICK", f"{rate.service} ({rate.carrier}): {reason}.")


def insurance_for(requested: bool, declared: Money | None) -> Money | None:
    """P-INSURE: insure for the declared value only when the customer asked for it."""
    if not requested or declared is None or declared.amount <= 0:
        return None
    return declared


def hs_code_for(part_number: str, table: Mapping[str, str], default: str) -> str:
    """The HS code for a part number (configured table, case-insensitive), else the default."""
    wanted = part_number.strip().upper()
    for key, code in table.items():
        if key.strip().upper() == wanted:
            return code
    return default


def customs_value(declared: Money | None, price: Money | None, default: Money) -> Money:
    """Customs value: declared value, else the purchase price, else the configured default."""
    for value in (declared, price):
        if value is not None and value.amount > 0:
            return value
    return default


# US export filing (15 CFR 30.36 / 30.37(a)): no EEI to Canada; none elsewhere up to 2,500 USD a
# line; above that an AES filing whose ITN goes on the declaration (shipped as AES_ITN).
EEI_THRESHOLD = Money.of("2500", "USD")


def eel_pfc_for(origin: str, destination: str, value: Money) -> str | None:
    """Shippo's eel_pfc for an export from `origin` (None when not leaving the US)."""
    if origin.upper() != "US" or destination.upper() == "US":
        return None
    if destination.upper() == "CA":
        return "NOEEI_30_36"
    if value.currency == "USD" and value.amount > EEI_THRESHOLD.amount:
        return "AES_ITN"
    return "NOEEI_30_37_a"
