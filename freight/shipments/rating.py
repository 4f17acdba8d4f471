"""Building what the carrier needs to rate an outbound shipment: addresses, parcel, insurance,
customs. Shared by the request (first rating) and the label job (re-check at purchase)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from carriers.port import CarrierPort
from carriers.types import Address, CustomsDeclaration, CustomsItem, Parcel, Rate, RateRequest
from freight.depot import depot_address
from freight.errors import invalid
from freight.money import Money
from freight.repairs.models import RepairRequest
from freight.settings import Settings
from freight.shipments.models import Shipment
from freight.shipments.rules import customs_value, eel_pfc_for, hs_code_for, insurance_for


def return_address(rr: RepairRequest) -> Address:
    """The RR's return address; the customer's phone and e-mail fill gaps carriers need."""
    a: dict[str, Any] = rr.return_address or {}
    return Address(
        name=str(a.get("name") or rr.customer_name),
        company=a.get("company"),
        street1=str(a.get("street1") or ""),
        street2=a.get("street2"),
        city=str(a.get("city") or ""),
        state=a.get("state"),
        postal_code=str(a.get("postal_code") or ""),
        country=str(a.get("country") or ""),
        phone=a.get("phone") or rr.customer_phone,
        email=a.get("email") or rr.customer_email,
    )


def parcel_of(data: dict[str, Any]) -> Parcel:
    return Parcel(
        length=Decimal(str(data["length"])),
        width=Decimal(str(data["width"])),
        height=Decimal(str(data["height"])),
        distance_unit=data["distance_unit"],
        weight=Decimal(str(data["weight"])),
        mass_unit=data["mass_unit"],
    )


def declared_value(rr: RepairRequest) -> Money | None:
    if rr.declared_value_amount is None or not rr.declared_value_currency:
        return None
    return Money(rr.declared_value_amount, rr.declared_value_currency)


def _purchase_price(rr: RepairRequest) -> Money | None:
    price = (rr.proof_of_purchase or {}).get("price")
    if isinstance(price, dict) and price.get("amount") is not None:
        return Money.of(str(price["amount"]), str(price.get("currency") or "USD"))
    return None


def customs_for(
    rr: RepairRequest,
    parcel: Parcel,
    settings: Settings,
    destination: str,
    *,
    repair_return: bool = True,
) -> CustomsDeclaration:
    """Customs for an international return: one item (the RR's part, or its replacement under
    P-REPLACE; HS code and country of manufacture from the tables, net weight below the parcel's
    gross), certified by the depot, with the export filing the destination needs
    (rules.eel_pfc_for) and a commercial invoice."""
    value = customs_value(
        declared_value(rr), _purchase_price(rr), Money(settings.customs_default_value, "USD")
    )
    replacement = (rr.replacement or {}) if repair_return else {}
    description = rr.product_description or rr.part_number
    explanation = f"Repaired unit returned under {rr.rr_number}"
    if replacement:  # P-REPLACE: the unit crossing the border is the replacement, not the original
        condition = replacement.get("condition", "")
        description = (
            f"Replacement {description} ({condition}), serial {replacement['serial_number']}"
        )
        explanation = (f"Warranty replacement ({condition}) for returned unit "
                       f"{replacement.get('replaces', '')} under {rr.rr_number}")  # fmt: skip
    item = CustomsItem(
        description=description[:100],
        quantity=1,
        net_weight=(parcel.weight * settings.customs_net_weight_ratio).quantize(Decimal("0.001")),
        mass_unit=parcel.mass_unit,
        value=value,
        origin_country=settings.manufacture_countries.get(
            rr.part_number, settings.customs_origin_country
        ).upper(),
        tariff_number=hs_code_for(rr.part_number, settings.hs_codes, settings.default_hs_code),
    )
    return CustomsDeclaration(
        contents_type=settings.customs_contents_type,
        certify_signer=settings.depot_attention,
        items=(item,),
        non_delivery_option="RETURN",
        contents_explanation=explanation[:200],
        incoterm=settings.customs_incoterm,
        eel_pfc=eel_pfc_for(settings.depot_country, destination, value),
        commercial_invoice=True,
    )


def customs_json(customs: CustomsDeclaration) -> dict[str, Any]:
    """What the shipment shows of its customs declaration."""
    item = customs.items[0]
    return {
        "contents_type": customs.contents_type,
        "hs_code": item.tariff_number,
        "value": item.value.as_json(),
        "origin_country": item.origin_country,
        "description": item.description,
        "eel_pfc": customs.eel_pfc,
        "incoterm": customs.incoterm,
    }


def rate_request(rr: RepairRequest, shipment: Shipment, settings: Settings) -> RateRequest:
    """The carrier request for this shipment (metadata ties carrier objects to our id)."""
    origin, dest = depot_address(settings), return_address(rr)
    parcel = parcel_of(shipment.parcel or {})
    insurance = insurance_for(rr.insurance_requested, declared_value(rr))
    international = origin.country != dest.country
    if international and not dest.phone:
        # Express carriers refuse export labels without the recipient's phone.
        raise invalid(
            "return_address.phone",
            "a phone number is required for an international return (the carriers ask for it)",
        )
    customs = (
        customs_for(
            rr, parcel, settings, dest.country, repair_return=shipment.purpose == "repair_return"
        )
        if international
        else None
    )
    if customs is not None and customs.eel_pfc == "AES_ITN" and not customs.aes_itn:
        # Above the EEI threshold the export must be filed in AES first; its ITN goes on the
        # declaration. The service files nothing itself, so it says so instead of the carrier.
        raise invalid(
            "declared_value",
            "exports valued above 2,500 USD need an AES filing (ITN) before a label can be "
            "bought; file it and ship this one by hand",
        )
    return RateRequest(
        from_address=origin,
        to_address=dest,
        parcels=(parcel,),
        metadata=label_metadata(shipment.id),
        insurance=insurance,
        customs=customs,
    )


def validated(carrier: CarrierPort, request: RateRequest) -> RateRequest:
    """The request with the carrier's checked destination (raises AddressInvalid): rate only
    deliverable addresses, and price residential delivery where it is one."""
    checked = carrier.validate_address(request.to_address)
    return replace(request, to_address=checked)


def label_metadata(shipment_id: str) -> str:
    """The carrier-side key of a shipment's label: one label per metadata, ever."""
    return f"shipment:{shipment_id}"


def rate_json(rate: Rate) -> dict[str, Any]:
    return {
        "rate_id": rate.rate_id,
        "carrier": rate.carrier,
        "service": rate.service,
        "service_token": rate.service_token,
        "amount": str(rate.amount.amount),
        "currency": rate.amount.currency,
        "estimated_days": rate.estimated_days,
        "shipment_id": rate.shipment_id,
        "created_at": rate.created_at.isoformat() if rate.created_at else None,
        "carrier_account": rate.carrier_account,
    }


def rate_from(data: dict[str, Any]) -> Rate:
    return Rate(
        rate_id=str(data["rate_id"]),
        carrier=str(data["carrier"]),
        service=str(data["service"]),
        service_token=str(data["service_token"]),
        amount=Money.of(str(data["amount"]), str(data["currency"])),
        estimated_days=data.get("estimated_days"),
        shipment_id=str(data.get("shipment_id") or ""),
        created_at=datetime.fromisoformat(data["created_at"]) if data.get("created_at") else None,
        carrier_account=data.get("carrier_account"),
    )


def apply_rate(shipment: Shipment, rate: Rate) -> None:
    """Remember the chosen rate on the shipment (bought later by the label job)."""
    shipment.carrier, shipment.service = rate.carrier, rate.service
    shipment.service_token, shipment.rate_id = rate.service_token, rate.rate_id
    shipment.carrier_shipment_id = rate.shipment_id
    shipment.details = {**(shipment.details or {}), "rate": rate_json(rate)}
