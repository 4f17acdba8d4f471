"""Customer damage reports on a delivered outbound shipment → the shipment's one claim."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from freight.claims.models import Claim
from freight.claims.rules import ClaimKind, sniff_image
from freight.claims.service import ClaimSignal, flag
from freight.errors import AppError, ConflictError, FieldError, ValidationFailedError
from freight.repairs.models import RepairRequest
from freight.settings import Settings
from freight.shipments.models import Shipment
from freight.tracking import repository as tracking_repo

log = logging.getLogger("freight.claims")


@dataclass(frozen=True)
class Photo:
    filename: str
    data: bytes  # at most max_photo_bytes + 1 (one byte over tells us it is too big)


@dataclass(frozen=True)
class CheckedPhoto:
    filename: str
    data: bytes
    media_type: str
    ext: str
    sha256: str


class PhotoTooLargeError(AppError):
    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(
            detail, 413, "Payload too large",
            "https://rr-freight.example/problems/too-large", errors,
        )  # fmt: skip


def check_photos(photos: list[Photo], settings: Settings) -> list[CheckedPhoto]:
    """Every photo an image of an accepted type and size, or a problem naming `photos`."""
    if len(photos) > settings.max_photos:
        raise ValidationFailedError(
            f"photos: at most {settings.max_photos} photos per report",
            [FieldError("photos", f"at most {settings.max_photos} photos per report")],
        )
    checked: list[CheckedPhoto] = []
    for i, photo in enumerate(photos):
        name = photo.filename or f"photo {i + 1}"
        if len(photo.data) > settings.max_photo_bytes:
            msg = f"{name} is larger than {settings.max_photo_bytes // 1_000_000} MB"
            raise PhotoTooLargeError(f"photos: {msg}", [FieldError("photos", msg)])
        kind = sniff_image(photo.data[:32])
        if kind is None:
            msg = f"{name} is not a JPEG, PNG, WebP or HEIC image"
            raise ValidationFailedError(f"photos: {msg}", [FieldError("photos", msg)])
        digest = hashlib.sha256(photo.data).hexdigest()
        checked.append(CheckedPhoto(name, photo.data, kind[0], kind[1], digest))
    return checked


def delivered_outbound(session: Session, rr: RepairRequest, shipment_id: str | None) -> Shipment:
    """The delivered outbound shipment the report is about (409 when there is none)."""
    outbound = [
        s for s in tracking_repo.shipments_of(session, rr.id, direction="outbound")
        if shipment_id is None or s.id == shipment_id
    ]  # fmt: skip
    delivered = [s for s in outbound if s.status == "DELIVERED" or s.delivered_at is not None]
    if not delivered:
        raise ConflictError(
            f"Repair Request {rr.rr_number} has no delivered outbound shipment"
            + (f" {shipment_id}" if shipment_id else "")
            + "; damage can be reported once the carrier has delivered it.",
            field="shipment_id" if shipment_id else "rr_number",
        )
    return delivered[-1]


def report_damage(
    session: Session,
    *,
    rr: RepairRequest,
    description: str,
    concealed: bool,
    photos: list[Photo],
    shipment_id: str | None,
    actor: str,
    now: datetime,
    settings: Settings,
) -> tuple[Claim, int]:
    """Open or update the shipment's claim from a customer report; photos kept as evidence."""
    shipment = delivered_outbound(session, rr, shipment_id)
    checked = check_photos(photos, settings)
    kind: ClaimKind = "concealed_damage" if concealed else "damage"
    signal = ClaimSignal(
        source="customer_report", kind=kind, note=f"Customer report: {description}",
        code=hashlib.sha256(description.encode()).hexdigest()[:12],
    )  # fmt: skip
    claim = flag(session, rr=rr, shipment=shipment, signal=signal, actor=actor, now=now)
    stored = _store_photos(claim, checked, settings.data_dir / "claims" / claim.id, now=now)
    return claim, stored


def _store_photos(claim: Claim, photos: list[CheckedPhoto], folder: Path, *, now: datetime) -> int:
    if not photos:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    known = {p["sha256"] for p in (claim.details or {}).get("photos", [])}
    added = []
    for photo in photos:
        if photo.sha256 in known:
            continue  # the same photo sent twice is kept once
        name = f"{photo.sha256[:16]}.{photo.ext}"
        (folder / name).write_bytes(photo.data)
        known.add(photo.sha256)
        added.append({"file": name, "original_name": photo.filename[:200], "size": len(photo.data),
                      "media_type": photo.media_type, "sha256": photo.sha256,
                      "at": now.isoformat()})  # fmt: skip
    if added:
        details = dict(claim.details or {})
        details["photos"] = [*details.get("photos", []), *added]
        claim.details = details
    log.info("claim.photos.stored claim=%s count=%d", claim.id, len(added))
    return len(added)
