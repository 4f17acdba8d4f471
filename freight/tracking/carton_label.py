"""The carton marking label (P-MARK, P-INBOUND): RR number large and as a barcode, depot address."""

from __future__ import annotations

import io

from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from freight.depot import depot_lines
from freight.settings import Settings

PREPAID = "FREIGHT PREPAID \u2014 NO COD"


def carton_label_pdf(rr_number: str, settings: Settings) -> bytes:
    """A one-page PDF to tape on the outside of the carton."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=letter, pageCompression=0)
    page.setTitle(f"Carton label {rr_number}")
    width, height = letter
    left, top = 0.75 * inch, height - 0.9 * inch
    page.setFont("Helvetica-Bold", 14)
    page.drawString(left, top, "REPAIR REQUEST")
    page.setFont("Helvetica-Bold", 54)
    page.drawString(left, top - 0.85 * inch, rr_number)
    barcode = code128.Code128(rr_number, barHeight=0.9 * inch, barWidth=0.022 * inch)
    barcode.drawOn(page, left - 0.1 * inch, top - 2.05 * inch)
    page.setFont("Helvetica", 11)
    page.drawString(left, top - 2.3 * inch, rr_number)
    page.setFont("Helvetica-Bold", 14)
    page.drawString(left, top - 2.9 * inch, "SHIP TO:")
    page.setFont("Helvetica", 16)
    y = top - 3.25 * inch
    for line in depot_lines(settings):
        page.drawString(left + 0.2 * inch, y, line)
        y -= 0.28 * inch
    page.setFont("Helvetica-Bold", 26)
    page.drawString(left, y - 0.5 * inch, PREPAID)
    page.setFont("Helvetica", 11)
    notes = (
        "Tape this label on the OUTSIDE of the carton. Cartons without the RR number may be "
        "returned to the sender.",
        "Prepay the freight: COD and freight-collect packages are refused. Pack the unit well:",
        "the repair depot is not liable for loss or damage on the way in.",
    )
    y -= 0.95 * inch
    for line in notes:
        page.drawString(left, y, line)
        y -= 0.2 * inch
    page.rect(left - 0.25 * inch, y - 0.1 * inch, width - 1.0 * inch, top - y + 0.5 * inch)
    page.showPage()
    page.save()
    return buffer.getvalue()
