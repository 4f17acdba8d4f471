"""The carrier request of an inbound return label: customer → depot, a return label with the RR
number in its reference fields (P-INLABEL-REF), customs when it crosses a border."""

from __future__ import annotations

from dataclasses import replace

from carriers.types import RateRequest
from freight.depot import depot_address
from freight.errors import invalid
from freight.inbound.rules import label_reference
from freight.repairs.models import RepairRequest
from freight.settings import Settings
from freight.shipments.models import Shipment
from freight.shipments.rating import (
    customs_for,
    label_metadata,
    parcel_of,
    return_address,
)


def inbound_request(rr: RepairRequest, shipment: Shipment, settings: Settings) -> RateRequest:
    """The rate request of the trip to the depot (also re-used at purchase)."""
    origin, depot = return_address(rr), depot_address(settings)
    parcel = parcel_of(shipment.parcel or {})
    customs = None
    if origin.country != depot.country:
        if not origin.phone:
            raise invalid(
                "return_address.phone",
                "a phone number is required for an international label (the carriers ask for it)",
            )
        declared = customs_for(rr, parcel, settings, depot.country, repair_return=False)
        customs = replace(
            declared,
            certify_signer=origin.name,
            contents_explanation=f"Defective unit sent for repair under {rr.rr_number}",
            eel_pfc=None,
            commercial_invoice=True,
        )
    return RateRequest(
        from_address=origin,
        to_address=depot,
        parcels=(parcel,),
        metadata=label_metadata(shipment.id),
        customs=customs,
        is_return=True,
        reference=label_reference(rr.rr_number),
    )
