"""Carrier documents kept at purchase: the label file and, for exports, the commercial invoice.

Shippo's document URLs are signed links that expire, so the files are downloaded while the links
are fresh; later reads are served from here (or fetched again through the adapter, which
refreshes an expired link through GET /transactions/{id})."""

from __future__ import annotations

import io
import logging

from sqlalchemy.orm import Session

from carriers.errors import CarrierError
from carriers.port import CarrierPort
from carriers.types import Label
from freight.shipments import repository as repo
from freight.shipments.models import Shipment, ShipmentDocument

log = logging.getLogger("freight.shipments")
LABEL, INVOICE = "label", "commercial_invoice"


def keep(session: Session, carrier: CarrierPort, shipment: Shipment, label: Label) -> None:
    """Download and store the label (and invoice); a failure leaves them to be fetched later."""
    wanted = [LABEL] + ([INVOICE] if label.commercial_invoice_url else [])
    for kind in wanted:
        try:
            data = carrier.get_label_file(label, document=kind)
        except CarrierError as exc:
            log.warning(
                "shipment.document.not_kept",
                extra={"event": "shipment.document.not_kept", "shipment_id": shipment.id,
                       "kind": kind, "error": str(exc)},
            )  # fmt: skip
            continue
        store(session, shipment, kind, data, label.transaction_id)
    if label.commercial_invoice_url:
        shipment.details = {**(shipment.details or {}), "commercial_invoice": True}


ZPL_MEDIA_TYPE = "application/zpl"
_KINDS = ((b"%PDF", "application/pdf", "pdf"), (b"^XA", ZPL_MEDIA_TYPE, "zpl"),
          (b"\x89PNG", "image/png", "png"))  # fmt: skip


def media_type(data: bytes) -> str:
    """The content type of a carrier document, read from its first bytes."""
    return next(
        (t for magic, t, _ in _KINDS if data.lstrip().startswith(magic)), "application/octet-stream"
    )


def extension(data: bytes) -> str:
    """The filename extension for a carrier document (pdf, zpl, png; bin when unknown)."""
    return next((ext for magic, _, ext in _KINDS if data.lstrip().startswith(magic)), "bin")


def store(
    session: Session, shipment: Shipment, kind: str, data: bytes, transaction_id: str
) -> None:
    doc = repo.document(session, shipment.id, kind)
    content_type = media_type(data)
    if doc is None:
        doc = ShipmentDocument(shipment_id=shipment.id, kind=kind)
        session.add(doc)
    doc.data, doc.content_type, doc.transaction_id = data, content_type, transaction_id


def stored(session: Session, shipment: Shipment, kind: str) -> bytes | None:
    doc = repo.document(session, shipment.id, kind)
    return doc.data if doc is not None and doc.transaction_id == shipment.transaction_id else None


def printable(label: bytes, invoice: bytes | None) -> bytes:
    """What staff print: the label, then the commercial invoice pages (both PDF), as one PDF."""
    if invoice is None or not label.startswith(b"%PDF") or not invoice.startswith(b"%PDF"):
        return label
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in (label, invoice):
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
