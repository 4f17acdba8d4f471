"""Sandbox /manifests and /pickups (Shippo's end of day): a manifest closes out labels of one
carrier account and day and answers a PDF (the SCAN form); a pickup is confirmed for labels.

Shippo's manifest errors are kept: `manifest_no_transactions` (none, or none sold on that
account), `shipment_date_invalid`. A label may be in one manifest only. A pickup with the
same `metadata` as an earlier one is that pickup (the sandbox's stand-in for the carrier's
single pickup per location and window)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from carriers.sandbox.context import OWNER, Context, new_id, page, public
from carriers.sandbox.http import HttpError, Request, Response, Router
from carriers.sandbox.labels import check_signed, signed_url

Json = dict[str, Any]


def _manifested(ctx: Context) -> set[str]:
    return {t for m in ctx.store.find("manifest") for t in m.get("transactions") or ()}


def _checked_transactions(ctx: Context, body: Json) -> list[str]:
    wanted = body.get("transactions")
    account = str(body.get("carrier_account") or "")
    if not account:
        raise HttpError(400, {"carrier_account": ["This field is required."]})
    if not isinstance(wanted, list) or not wanted:
        raise HttpError(
            400, {"manifest_no_transactions": ["There are no shipments in the manifest."]}
        )
    taken = _manifested(ctx)
    for tid in wanted:
        tx = ctx.store.get("transaction", str(tid))
        rate = ctx.store.get("rate", str(tx["rate"])) if tx else None
        if tx is None or tx.get("status") != "SUCCESS" or rate is None:
            raise HttpError(400, {"transactions": [f"Transaction {tid} is not a label."]})
        if rate.get("carrier_account") != account:
            raise HttpError(400, {"manifest_invalid_transactions": [
                f"Transaction {tid} was not bought on carrier account {account}."]})  # fmt: skip
        if tid in taken:
            raise HttpError(400, {"manifest_invalid_transactions": [
                f"Transaction {tid} is already in a manifest."]})  # fmt: skip
    return [str(t) for t in wanted]


def create_manifest(ctx: Context, req: Request) -> Response:
    """POST /manifests: close out the labels into one SUCCESS manifest with a PDF document."""
    body = req.body
    date_text = str(body.get("shipment_date") or "")
    try:
        datetime.fromisoformat(date_text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise HttpError(400, {"shipment_date_invalid": ["The shipment date is invalid."]}) from exc
    with ctx.store.atomic():
        transactions = _checked_transactions(ctx, body)
        stamp, manifest_id = ctx.stamp(), new_id()
        address = body.get("address_from")
        manifest: Json = {
            "object_id": manifest_id, "object_created": stamp, "object_updated": stamp,
            "object_owner": OWNER, "status": "SUCCESS", "errors": [],
            "carrier_account": str(body["carrier_account"]), "shipment_date": date_text,
            "transactions": transactions,
            "address_from": address if isinstance(address, str) else new_id(),
        }  # fmt: skip
        ctx.store.put("manifest", manifest_id, manifest)
    return Response(201, manifest_out(ctx, req, manifest))


def manifest_out(ctx: Context, req: Request, manifest: Json) -> Json:
    path = f"/sandbox/manifest-files/{manifest['object_id']}.pdf"
    return {**public(manifest), "documents": [signed_url(ctx, req, path)]}


def list_manifests(ctx: Context, req: Request) -> Response:
    """GET /manifests, newest first."""
    found = ctx.store.find("manifest")
    return Response(200, page(req, found, render=lambda m: manifest_out(ctx, req, m)))


def get_manifest(ctx: Context, req: Request, manifest_id: str) -> Response:
    return Response(200, manifest_out(ctx, req, ctx.fetch("manifest", manifest_id)))


def manifest_file(ctx: Context, req: Request, manifest_id: str) -> Response:
    """GET /sandbox/manifest-files/{id}.pdf: the SCAN form listing the tracking numbers."""
    check_signed(ctx, req)
    manifest = ctx.fetch("manifest", manifest_id.removesuffix(".pdf"))
    numbers = []
    for tid in manifest["transactions"]:
        tx = ctx.store.get("transaction", tid)
        numbers.append(str((tx or {}).get("tracking_number") or tid))
    return Response(200, render_manifest(manifest, numbers), content_type="application/pdf")


def render_manifest(manifest: Json, tracking_numbers: list[str]) -> bytes:
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=letter, invariant=1)
    pdf.setTitle(f"Manifest {manifest['object_id']}")
    _, height = letter
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(inch, height - inch, "MANIFEST (SCAN FORM)")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(inch, height - 1.35 * inch, f"Carrier account: {manifest['carrier_account']}")
    pdf.drawString(inch, height - 1.6 * inch, f"Ship date: {manifest['shipment_date'][:10]}")
    pdf.drawString(inch, height - 1.85 * inch, f"Packages: {len(tracking_numbers)}")
    Code128(manifest["object_id"], barHeight=0.6 * inch).drawOn(pdf, inch, height - 2.7 * inch)
    y = height - 3.1 * inch
    for number in tracking_numbers:
        pdf.drawString(inch, y, number)
        y -= 14
    pdf.drawString(inch, 0.6 * inch, "SANDBOX MANIFEST - NOT VALID FOR SHIPPING")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def create_pickup(ctx: Context, req: Request) -> Response:
    """POST /pickups: CONFIRMED for the requested window, with a confirmation code."""
    body = req.body
    for key in ("carrier_account", "location", "transactions", "requested_start_time",
                "requested_end_time"):  # fmt: skip
        if not body.get(key):
            raise HttpError(400, {key: ["This field is required."]})
    metadata = str(body.get("metadata") or "")
    if metadata:
        for earlier in ctx.store.find("pickup"):
            if earlier.get("metadata") == metadata:
                return Response(201, public(earlier))
    stamp, pickup_id = ctx.stamp(), new_id()
    pickup: Json = {
        "object_id": pickup_id, "object_created": stamp, "object_updated": stamp,
        "carrier_account": body["carrier_account"], "location": body["location"],
        "transactions": list(body["transactions"]), "metadata": metadata,
        "requested_start_time": body["requested_start_time"],
        "requested_end_time": body["requested_end_time"],
        "confirmed_start_time": body["requested_start_time"],
        "confirmed_end_time": body["requested_end_time"],
        "cancel_by_time": body["requested_start_time"], "status": "CONFIRMED",
        "confirmation_code": f"SBX{pickup_id[:10].upper()}", "timezone": "UTC",
        "messages": [], "is_test": True,
    }  # fmt: skip
    ctx.store.put("pickup", pickup_id, pickup)
    return Response(201, public(pickup))


def register(router: Router) -> None:
    """Mount these routes."""
    router.add("POST", "/manifests", create_manifest)
    router.add("GET", "/manifests", list_manifests)
    router.add("GET", "/manifests/{manifest_id}", get_manifest)
    router.add("GET", "/sandbox/manifest-files/{manifest_id}", manifest_file)
    router.add("POST", "/pickups", create_pickup)
