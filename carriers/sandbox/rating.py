"""Deterministic sandbox rates: zone x billable weight (dimensional included) x service. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

TO_LB: dict[str, Decimal] = {
    "lb": Decimal(1),
    "oz": Decimal("0.0625"),
    "kg": Decimal("2.20462"),
    "g": Decimal("0.00220462"),
}
TO_IN: dict[str, Decimal] = {
    "in": Decimal(1),
    "cm": Decimal("0.393701"),
    "mm": Decimal("0.0393701"),
    "m": Decimal("39.3701"),
    "ft": Decimal(12),
    "yd": Decimal(36),
}


@dataclass(frozen=True)
class Service:
    provider: str
    carrier: str
    name: str
    token: str
    base: Decimal
    per_lb: Decimal
    days: int
    international: bool
    dim_divisor: int
    max_lb: int
    max_length_girth_in: int


# The rate card, as data. "intl" services serve only international shipments, "dom" only
# domestic ones. Columns: provider | carrier token | service | service token | base USD |
# USD per billable lb | days | scope | dim-weight divisor | max lb | max length+girth (in).
RATE_CARD = """
USPS        | usps        | Ground Advantage            | usps_ground_advantage            | 5.25  | 0.85 | 5 | dom  | 166 | 70  | 130
USPS        | usps        | Priority Mail               | usps_priority                    | 8.70  | 1.10 | 3 | dom  | 166 | 70  | 108
USPS        | usps        | Priority Mail Express       | usps_priority_express            | 28.75 | 2.40 | 1 | dom  | 166 | 70  | 108
USPS        | usps        | Priority Mail International | usps_priority_mail_international | 42.00 | 3.10 | 8 | intl | 166 | 66  | 108
UPS         | ups         | Ground                      | ups_ground                       | 9.80  | 0.95 | 5 | dom  | 139 | 150 | 165
UPS         | ups         | 2nd Day Air                 | ups_second_day_air               | 19.50 | 1.90 | 2 | dom  | 139 | 150 | 165
UPS         | ups         | Next Day Air                | ups_next_day_air                 | 34.00 | 3.20 | 1 | dom  | 139 | 150 | 165
UPS         | ups         | Worldwide Saver             | ups_saver                        | 62.00 | 4.50 | 3 | intl | 139 | 150 | 165
FedEx       | fedex       | FedEx Ground                | fedex_ground                     | 9.60  | 0.97 | 5 | dom  | 139 | 150 | 165
FedEx       | fedex       | FedEx 2Day                  | fedex_2_day                      | 18.90 | 1.95 | 2 | dom  | 139 | 150 | 165
FedEx       | fedex       | FedEx Standard Overnight    | fedex_standard_overnight         | 33.50 | 3.15 | 1 | dom  | 139 | 150 | 165
FedEx       | fedex       | FedEx International Economy | fedex_international_economy      | 55.00 | 4.10 | 5 | intl | 139 | 150 | 165
DHL Express | dhl_express | Express Worldwide           | dhl_express_worldwide            | 58.00 | 3.90 | 3 | intl | 139 | 660 | 189
"""  # noqa: E501


def _services(card: str) -> tuple[Service, ...]:
    rows = [[c.strip() for c in line.split("|")] for line in card.strip().splitlines()]
    return tuple(
        Service(p, c, n, t, Decimal(b), Decimal(lb), int(d), s == "intl", int(dv), int(mx), int(lg))
        for p, c, n, t, b, lb, d, s, dv, mx, lg in rows
    )


SERVICES: tuple[Service, ...] = _services(RATE_CARD)

# International "zones" by destination region; factor applies to the per-lb part.
NEIGHBOURS = {"CA", "MX"}
EUROPE = set(
    "AD AL AT BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GI GR HR HU IE IS IT LI LT LU LV MC "
    "MD ME MK MT NL NO PL PT RO RS SE SI SK SM UA VA".split()
)
INTL_ZONES: dict[str, tuple[str, Decimal]] = {
    "neighbour": ("I1", Decimal("1.0")),
    "europe": ("I2", Decimal("1.5")),
    "world": ("I3", Decimal("1.9")),
}


@dataclass(frozen=True)
class Quote:
    service: Service
    amount: Decimal
    zone: str
    billable_lb: int


def zone_of(from_country: str, from_zip: str, to_country: str, to_zip: str) -> tuple[str, Decimal]:
    """Zone name and per-lb factor; US zones 1-9 follow the first ZIP digits' distance."""
    if from_country != to_country:
        region = (
            "neighbour"
            if to_country in NEIGHBOURS
            else "europe"
            if to_country in EUROPE
            else "world"
        )
        return INTL_ZONES[region]
    a, b = from_zip[:1], to_zip[:1]
    zone = 1 + abs(int(a) - int(b)) if a.isdigit() and b.isdigit() else 4
    return str(zone), Decimal(1) + Decimal("0.12") * (zone - 1)


def billable_lb(parcel: Mapping[str, Any], divisor: int) -> int:
    """Whole pounds billed: the greater of actual and dimensional weight, rounded up."""
    actual = Decimal(str(parcel["weight"])) * TO_LB[str(parcel["mass_unit"])]
    inch = TO_IN[str(parcel["distance_unit"])]
    dims = [Decimal(str(parcel[k])) * inch for k in ("length", "width", "height")]
    dimensional = dims[0] * dims[1] * dims[2] / divisor
    return max(1, math.ceil(max(actual, dimensional)))


def _length_girth(parcel: Mapping[str, Any]) -> Decimal:
    inch = TO_IN[str(parcel["distance_unit"])]
    dims = sorted(
        (Decimal(str(parcel[k])) * inch for k in ("length", "width", "height")), reverse=True
    )
    return dims[0] + 2 * (dims[1] + dims[2])


def _refusal(service: Service, parcels: Sequence[Mapping[str, Any]]) -> str | None:
    for parcel in parcels:
        if _length_girth(parcel) > service.max_length_girth_in:
            return f"Parcel exceeds the maximum size (length + girth) for {service.name}"
        actual = Decimal(str(parcel["weight"])) * TO_LB[str(parcel["mass_unit"])]
        if actual > service.max_lb:
            return f"Parcel weight exceeds {service.max_lb} lb for {service.name}"
    return None


def quote(
    address_from: Mapping[str, Any],
    address_to: Mapping[str, Any],
    parcels: Sequence[Mapping[str, Any]],
    insured: Decimal | None = None,
) -> tuple[list[Quote], list[dict[str, str]]]:
    """Every service's price for a shipment, plus a message per carrier that refused it."""
    from_country, to_country = str(address_from["country"]), str(address_to["country"])
    zone, factor = zone_of(
        from_country,
        str(address_from.get("zip") or ""),
        to_country,
        str(address_to.get("zip") or ""),
    )
    international = from_country != to_country
    quotes: list[Quote] = []
    messages: dict[str, dict[str, str]] = {}
    for service in SERVICES:
        if service.international != international:
            continue
        reason = _refusal(service, parcels)
        if reason:
            messages.setdefault(
                service.provider,
                {"source": service.provider, "code": "parcel_refused", "text": reason},
            )
            continue
        weight = sum(billable_lb(p, service.dim_divisor) for p in parcels)
        amount = service.base + service.per_lb * weight * factor
        if insured:
            amount += max(Decimal(1), insured * Decimal("0.01"))
        quotes.append(Quote(service, amount.quantize(Decimal("0.01"), ROUND_HALF_UP), zone, weight))
    return quotes, list(messages.values())
