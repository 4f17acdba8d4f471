"""What carriers demand of an export declaration from the US, as Shippo relays it. Pure.

Express carriers (FedEx, UPS, DHL Express) want the full declaration: `certify` with a signer,
`contents_type`, `incoterm`, the EEL/PFC (`NOEEI_30_36` to Canada, `NOEEI_30_37_a` elsewhere below
the EEI filing threshold, `AES_ITN` with the ITN above it), phones for sender and recipient, each
item's country of manufacture, and net weights that fit in the parcel's gross weight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from carriers.sandbox.rating import TO_LB

EXPRESS = ("fedex", "ups", "dhl_express")
EEI_THRESHOLD_USD = Decimal(2500)  # per Schedule B line; the sandbox sums the declaration
EEL_PFC = ("NOEEI_30_37_a", "NOEEI_30_37_h", "NOEEI_30_37_f", "NOEEI_30_36", "AES_ITN")


def _number(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _eel_problems(customs: Mapping[str, Any], to_country: str, value: Decimal) -> list[str]:
    eel = customs.get("eel_pfc")
    if eel not in EEL_PFC:
        return [f"eel_pfc is required ({', '.join(EEL_PFC)})."]
    if eel == "AES_ITN":
        return [] if customs.get("aes_itn") else ["aes_itn is required when eel_pfc is AES_ITN."]
    if to_country == "CA":
        return [] if eel == "NOEEI_30_36" else ["Shipments to Canada file NOEEI_30_36."]
    if value > EEI_THRESHOLD_USD:
        return [f"Goods over {EEI_THRESHOLD_USD} USD need an AES ITN (eel_pfc AES_ITN)."]
    return []


def _item_problems(items: Sequence[Any], parcels: Sequence[Mapping[str, Any]]) -> list[str]:
    problems = [
        f"items.{i}.origin_country is required (the country of manufacture)."
        for i, item in enumerate(items)
        if not str(item.get("origin_country") or "").strip()
    ]
    net = sum(
        _number(i.get("net_weight"))
        * TO_LB.get(str(i.get("mass_unit")), Decimal(1))
        * int(i.get("quantity") or 1)
        for i in items
    )
    gross = sum(
        _number(p.get("weight")) * TO_LB.get(str(p.get("mass_unit")), Decimal(1)) for p in parcels
    )
    if net >= gross > 0:
        problems.append("The items' net weight must be less than the parcel's gross weight.")
    return problems


def problems(
    carrier: str,
    customs: Mapping[str, Any] | None,
    *,
    address_from: Mapping[str, Any],
    address_to: Mapping[str, Any],
    parcels: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Why this carrier would refuse the declaration (empty: it would accept it)."""
    if customs is None:
        return ["A customs declaration is required for international shipments."]
    found: list[str] = []
    if customs.get("certify") is not True or not customs.get("certify_signer"):
        found.append("certify must be true, with certify_signer.")
    if not customs.get("contents_type"):
        found.append("contents_type is required.")
    items = customs.get("items") or []
    if carrier not in EXPRESS or str(address_from.get("country")) != "US":
        return found
    value = sum((_number(i.get("value_amount")) for i in items), Decimal(0))
    found += _eel_problems(customs, str(address_to.get("country")), value)
    if not customs.get("incoterm"):
        found.append("incoterm is required (DDU or DDP).")
    for side, address in (("address_from", address_from), ("address_to", address_to)):
        if not str(address.get("phone") or "").strip():
            found.append(f"{side}.phone is required for international express shipments.")
    return found + _item_problems(items, parcels)
