"""A 4x6 inch PDF shipping label with addresses, service and a Code 128 tracking barcode."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

PAGE = (4 * inch, 6 * inch)


def _lines(address: Mapping[str, Any]) -> list[str]:
    city = " ".join(str(address.get(k) or "") for k in ("city", "state", "zip")).strip()
    parts = [address.get(k) for k in ("name", "company", "street1", "street2")]
    return [str(p) for p in parts if p] + [city, str(address.get("country") or "")]


def reference_lines(extra: Mapping[str, Any]) -> list[str]:
    """What a label prints of ShipmentExtra's return flag and reference fields."""
    lines = ["RETURN LABEL"] if extra.get("is_return") is True else []
    rma = extra.get("rma_number")
    if isinstance(rma, Mapping) and rma.get("value"):
        lines.append(f"RMA: {rma['value']}")
    lines += [f"REF: {extra[k]}" for k in ("reference_1", "reference_2") if extra.get(k)]
    return lines


def render_label(
    *,
    address_from: Mapping[str, Any],
    address_to: Mapping[str, Any],
    provider: str,
    service: str,
    tracking_number: str,
    weight: str,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """Draw the label and return the PDF bytes (deterministic for the same input); a return
    label (`extra.is_return`) says so, and the reference fields are printed as Shippo's carriers
    print them (RMA number, reference 1 and 2)."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=PAGE, invariant=1)
    pdf.setTitle(f"Label {tracking_number}")
    width, height = PAGE
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(0.2 * inch, height - 0.45 * inch, provider.upper())
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(width - 0.2 * inch, height - 0.45 * inch, f"{service} - {weight}")
    pdf.drawString(0.2 * inch, height - 0.7 * inch, "FROM:")
    y = height - 0.85 * inch
    for line in _lines(address_from):
        pdf.drawString(0.3 * inch, y, line)
        y -= 11
    pdf.line(0.1 * inch, y - 4, width - 0.1 * inch, y - 4)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(0.2 * inch, y - 20, "SHIP TO:")
    y -= 36
    for line in _lines(address_to):
        pdf.drawString(0.4 * inch, y, line)
        y -= 14
    for line in reference_lines(extra or {}):
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(0.2 * inch, y - 4, line)
        y -= 13
    barcode = Code128(tracking_number, barHeight=0.9 * inch, barWidth=0.011 * inch)
    barcode.drawOn(pdf, max(0.1 * inch, (width - barcode.width) / 2), 0.75 * inch)
    pdf.setFont("Helvetica", 10)
    pdf.drawCentredString(width / 2, 0.5 * inch, f"TRACKING # {tracking_number}")
    pdf.setFont("Helvetica-Oblique", 7)
    pdf.drawCentredString(width / 2, 0.25 * inch, "SANDBOX LABEL - NOT VALID FOR SHIPPING")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def render_invoice(
    *,
    transaction_id: str,
    address_from: Mapping[str, Any],
    address_to: Mapping[str, Any],
    customs: Mapping[str, Any],
) -> bytes:
    """An 8.5x11 inch commercial invoice listing the declared items."""
    buffer = io.BytesIO()
    letter = (8.5 * inch, 11 * inch)
    pdf = Canvas(buffer, pagesize=letter, invariant=1)
    pdf.setTitle(f"Commercial invoice {transaction_id}")
    _, height = letter
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(inch, height - inch, "COMMERCIAL INVOICE")
    pdf.setFont("Helvetica", 9)
    y = height - 1.4 * inch
    for title, address in (("Exporter", address_from), ("Consignee", address_to)):
        pdf.drawString(inch, y, f"{title}: " + ", ".join(_lines(address)))
        y -= 14
    for key in ("contents_type", "incoterm", "eel_pfc", "certify_signer"):
        pdf.drawString(inch, y, f"{key}: {customs.get(key) or ''}")
        y -= 14
    for item in customs.get("items") or []:
        pdf.drawString(
            inch,
            y,
            f"{item.get('quantity')} x {item.get('description')} - "
            f"{item.get('value_amount')} {item.get('value_currency')} - "
            f"HS {item.get('tariff_number') or ''} - origin {item.get('origin_country')}",
        )
        y -= 14
    pdf.setFont("Helvetica-Oblique", 7)
    pdf.drawString(inch, 0.6 * inch, "SANDBOX DOCUMENT - NOT VALID FOR CUSTOMS")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
