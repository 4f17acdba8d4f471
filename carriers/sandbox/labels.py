"""Sandbox /transactions (labels), /refunds and the label files themselves."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from carriers.sandbox import tracking
from carriers.sandbox.context import OWNER, Context, new_id, page, public
from carriers.sandbox.http import HttpError, Request, Response, Router
from carriers.sandbox.pdf import render_label

Json = dict[str, Any]
RATE_LIFETIME = timedelta(days=7)
LABEL_TYPES = (
    "PNG",
    "PNG_2.3x7.5",
    "PDF",
    "PDF_2.3x7.5",
    "PDF_4x6",
    "PDF_4x8",
    "PDF_A4",
    "PDF_A5",
    "PDF_A6",
    "ZPLII",
)
_TRACKING_FORMATS = {
    "usps": ("9400", 22),
    "ups": ("1Z", 18),
    "fedex": ("", 12),
    "dhl_express": ("", 10),
}


def tracking_number(carrier: str, transaction_id: str) -> str:
    """A carrier-looking, deterministic tracking number for a sandbox label."""
    prefix, length = _TRACKING_FORMATS.get(carrier, ("SBX", 16))
    digits = str(int(hashlib.sha256(transaction_id.encode()).hexdigest(), 16))
    if carrier == "ups":
        return (prefix + "SBX" + digits)[:length]
    return (prefix + digits)[:length]


def label_url(req: Request, transaction_id: str) -> str:
    """Where the label PDF is served (relative to how this request reached us)."""
    return f"{req.base_url}/sandbox/label-files/{transaction_id}.pdf"


def transaction_out(req: Request, tx: Json) -> Json:
    """The public Transaction JSON (label_url follows the caller's base URL)."""
    body = public(tx)
    body["label_url"] = label_url(req, tx["object_id"])
    return body


def _rate_for_purchase(ctx: Context, body: Json) -> Json:
    rate_id = body.get("rate")
    if not rate_id or not isinstance(rate_id, str):
        raise HttpError(
            400,
            {"rate": ["This field is required (instant labels are not offered by the sandbox)."]},
        )
    rate = ctx.store.get("rate", rate_id)
    if rate is None:
        raise HttpError(400, {"rate": [f"Rate with object_id '{rate_id}' does not exist."]})
    created = datetime.fromisoformat(rate["object_created"].replace("Z", "+00:00"))
    if ctx.now() - created > RATE_LIFETIME:
        raise HttpError(
            400,
            {
                "rate": [
                    f"Rate '{rate_id}' has expired; rates can only be "
                    "purchased within 7 days. Re-rate the shipment."
                ]
            },
        )
    return rate


def _check_body(body: Json) -> None:
    label_type = body.get("label_file_type")
    if label_type is not None and label_type not in LABEL_TYPES:
        raise HttpError(400, {"label_file_type": [f"'{label_type}' is not a valid choice."]})
    if len(str(body.get("metadata") or "")) > 100:
        raise HttpError(400, {"metadata": ["Ensure this field has no more than 100 characters."]})


def create_transaction(ctx: Context, req: Request) -> Response:
    """POST /transactions: buy a label for a rate (always synchronous here)."""
    _check_body(req.body)
    rate = _rate_for_purchase(ctx, req.body)
    shipment = ctx.fetch("shipment", rate["shipment"])
    if shipment["address_from"]["country"] != shipment["address_to"][
        "country"
    ] and not shipment.get("_customs"):
        raise HttpError(
            400,
            {
                "customs_declaration": [
                    "A customs declaration is required for international shipments."
                ]
            },
        )
    tid, stamp, carrier = new_id(), ctx.stamp(), rate["carrier_account"].split("-")[1]
    number = tracking_number(carrier, tid)
    eta = tracking.iso(ctx.now() + timedelta(days=int(rate.get("estimated_days") or 5)))
    tx: Json = {
        "object_id": tid,
        "object_state": "VALID",
        "status": "SUCCESS",
        "object_created": stamp,
        "object_updated": stamp,
        "object_owner": OWNER,
        "created_by": None,
        "test": True,
        "rate": rate["object_id"],
        "tracking_number": number,
        "tracking_status": "PRE_TRANSIT",
        "tracking_url_provider": f"https://tracking.sandbox.test/{carrier}/{number}",
        "eta": eta,
        "label_file_type": req.body.get("label_file_type") or "PDF_4x6",
        "metadata": str(req.body.get("metadata") or ""),
        "messages": [],
        "parcel": shipment["parcels"][0]["object_id"],
        "_carrier": carrier,
    }
    street2 = str(shipment["address_to"].get("street2") or "")
    record = tracking.new_track(
        carrier,
        number,
        started_at=ctx.now(),
        eta=eta,
        transaction=tid,
        scenario=tracking.scenario_for(street2, tx["metadata"], shipment.get("metadata")),
        address_from=shipment["address_from"],
        address_to=shipment["address_to"],
        servicelevel={"name": rate["servicelevel"]["name"], "token": rate["servicelevel"]["token"]},
    )
    with ctx.store.atomic():
        ctx.store.put("track", f"{carrier}:{number}", record, ref=number)
        ctx.store.put("transaction", tid, tx, ref=rate["object_id"])
    out = transaction_out(req, tx)
    ctx.hooks.emit("transaction_created", out)
    return Response(201, out)


def list_transactions(ctx: Context, req: Request) -> Response:
    """GET /transactions, filtered by rate, object_status and tracking_status."""
    found = ctx.store.find("transaction", ref=req.query.get("rate") or None)
    for key, field in (("object_status", "status"), ("tracking_status", "tracking_status")):
        if req.query.get(key):
            found = [t for t in found if t.get(field) == req.query[key]]
    return Response(200, page(req, found, render=lambda tx: transaction_out(req, tx)))


def get_transaction(ctx: Context, req: Request, transaction_id: str) -> Response:
    """GET /transactions/{id}."""
    return Response(200, transaction_out(req, ctx.fetch("transaction", transaction_id)))


def _refusal(ctx: Context, tx: Json | None, transaction_id: str) -> str | None:
    if tx is None:
        return f"Transaction with object_id '{transaction_id}' does not exist."
    if tx["status"] in ("REFUNDED", "REFUNDPENDING"):
        return "A refund has already been requested for this label."
    if tx["status"] != "SUCCESS":
        return f"Only successful labels can be refunded (status {tx['status']})."
    record = ctx.store.get("track", f"{tx['_carrier']}:{tx['tracking_number']}") or {}
    if len(record.get("emitted") or []) > 1:
        return "The label has already been used (scanned by the carrier) and cannot be refunded."
    return None


def create_refund(ctx: Context, req: Request) -> Response:
    """POST /refunds: void an unused label."""
    transaction_id = req.body.get("transaction")
    if not transaction_id or not isinstance(transaction_id, str):
        raise HttpError(400, {"transaction": ["This field is required."]})
    with ctx.store.atomic():
        tx = ctx.store.get("transaction", transaction_id)
        reason = _refusal(ctx, tx, transaction_id)
        if reason is not None or tx is None:
            raise HttpError(400, {"transaction": [reason or "not refundable"]})
        stamp = ctx.stamp()
        refund: Json = {
            "object_id": new_id(),
            "object_created": stamp,
            "object_updated": stamp,
            "object_owner": OWNER,
            "status": "SUCCESS",
            "transaction": transaction_id,
            "test": True,
        }
        tx.update(status="REFUNDED", object_updated=stamp)
        ctx.store.put("transaction", transaction_id, tx, ref=tx["rate"])
        ctx.store.put("refund", refund["object_id"], refund, ref=transaction_id)
    ctx.hooks.emit("transaction_updated", transaction_out(req, tx))
    return Response(201, refund)


def list_refunds(ctx: Context, req: Request) -> Response:
    """GET /refunds/."""
    return Response(200, page(req, ctx.store.find("refund"), default_results=100))


def get_refund(ctx: Context, req: Request, refund_id: str) -> Response:
    """GET /refunds/{id}."""
    del req
    return Response(200, ctx.fetch("refund", refund_id))


def label_file(ctx: Context, req: Request, transaction_id: str) -> Response:
    """GET /sandbox/label-files/{id}.pdf: the 4x6 PDF."""
    del req
    tx = ctx.fetch("transaction", transaction_id.removesuffix(".pdf"))
    rate = ctx.fetch("rate", tx["rate"])
    shipment = ctx.fetch("shipment", rate["shipment"])
    parcel = shipment["parcels"][0]
    pdf = render_label(
        address_from=shipment["address_from"],
        address_to=shipment["address_to"],
        provider=rate["provider"],
        service=rate["servicelevel"]["name"],
        tracking_number=tx["tracking_number"],
        weight=f"{parcel['weight']} {parcel['mass_unit']}",
    )
    return Response(200, pdf, content_type="application/pdf")


def register(router: Router) -> None:
    """Mount these routes."""
    router.add("POST", "/transactions", create_transaction)
    router.add("GET", "/transactions", list_transactions)
    router.add("GET", "/transactions/{transaction_id}", get_transaction)
    router.add("POST", "/refunds", create_refund)
    router.add("GET", "/refunds", list_refunds)
    router.add("GET", "/refunds/{refund_id}", get_refund)
    router.add("GET", "/sandbox/label-files/{transaction_id}", label_file)
