"""Claim → response models (staff queue, RR section, customer tracking page)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from freight.carrier_registry import display_name
from freight.claims.models import Claim
from freight.claims.schemas import ClaimOut, ClaimPublicOut
from freight.claims.service import claims_for_rr
from freight.repairs.models import RepairRequest


def claim_public(claim: Claim, rr_number: str) -> ClaimPublicOut:
    """What the filer needs: who files, by when, with what evidence."""
    return ClaimPublicOut(
        id=claim.id, shipment_id=claim.shipment_id, rr_number=rr_number, source=claim.source,
        kind=claim.kind, filer=claim.filer, carrier=claim.carrier, file_by=claim.file_by,
        carrier_name=display_name(claim.carrier, unknown=""),
        deadline_rule=claim.deadline_rule, evidence=list(claim.evidence), status=claim.status,
        review_required=bool((claim.details or {}).get("review_required")),
        created_at=claim.created_at,
    )  # fmt: skip


def claim_staff(claim: Claim, rr_number: str) -> ClaimOut:
    """The staff view: the public one plus notes, the incident and photos."""
    details = claim.details or {}
    return ClaimOut(
        **claim_public(claim, rr_number).model_dump(),
        notes=list(claim.notes or []), incident=details.get("incident"),
        photos=list(details.get("photos", [])), updated_at=claim.updated_at,
    )  # fmt: skip


def claims_section(session: Session, rr: RepairRequest) -> list[dict[str, Any]]:
    """The "claims" list on the staff RR response."""
    return [
        claim_staff(c, rr.rr_number).model_dump(mode="json") for c in claims_for_rr(session, rr)
    ]
