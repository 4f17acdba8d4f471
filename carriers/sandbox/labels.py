"""Sandbox /transactions (labels) and the signed, expiring label and invoice files.

A purchase may answer QUEUED and finish later (behaviour `purchase_queue_seconds`), end in ERROR
when the carrier "did not respond" (`carrier_timeouts`) or refuses the customs declaration, and
its document URLs expire (`label_url_seconds`): GET /transactions/{id} hands out fresh ones."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from carriers.sandbox import behaviour, customs, tracking
from carriers.sandbox.context import OWNER, Context, new_id, page, public
from carriers.sandbox.http import HttpError, Request, Response, Router
from carriers.sandbox.pdf import render_invoice, render_label
from carriers.sandbox.zpl import render_zpl

Json = dict[str, Any]
RATE_LIFETIME = timedelta(days=7)
LABEL_TYPES = (
    "PNG", "PNG_2.3x7.5", "PDF", "PDF_2.3x7.5", "PDF_4x6", "PDF_4x8", "PDF_A4", "PDF_A5",
    "PDF_A6", "ZPLII",
)  # fmt: skip
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


def _secret(ctx: Context) -> bytes:
    value = ctx.store.setting("url_secret")
    if value is None:
        value = secrets.token_hex(16)
        ctx.store.set_setting("url_secret", value)
    return value.encode()


def _signature(ctx: Context, path: str, expires: int) -> str:
    return hmac.new(_secret(ctx), f"{path}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def signed_url(ctx: Context, req: Request, path: str) -> str:
    """A document URL that stops working after `label_url_seconds` (like a signed S3 link)."""
    lifetime = behaviour.current(ctx).label_url_seconds
    expires = int(ctx.now().timestamp() + lifetime)
    return f"{req.base_url}{path}?expires={expires}&signature={_signature(ctx, path, expires)}"


def check_signed(ctx: Context, req: Request) -> None:
    """403 for a missing, forged or expired document signature."""
    try:
        expires = int(req.query.get("expires", ""))
    except ValueError as exc:
        raise HttpError(403, {"detail": "Request has expired or is not signed."}) from exc
    good = hmac.compare_digest(req.query.get("signature", ""), _signature(ctx, req.path, expires))
    if not good or ctx.now().timestamp() > expires:
        raise HttpError(403, {"detail": "Request has expired or is not signed."})


def transaction_out(ctx: Context, req: Request, tx: Json) -> Json:
    """The public Transaction JSON, with freshly signed document URLs once it succeeded."""
    body = public(tx)
    if tx["status"] in ("SUCCESS", "REFUNDPENDING", "REFUNDREJECTED"):
        suffix = ".zpl" if tx.get("label_file_type") == "ZPLII" else ".pdf"
        body["label_url"] = signed_url(ctx, req, f"/sandbox/label-files/{tx['object_id']}{suffix}")
        if tx.get("_invoice"):
            body["commercial_invoice_url"] = signed_url(
                ctx, req, f"/sandbox/invoice-files/{tx['object_id']}.pdf"
            )
    else:
        body["label_url"] = ""
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


def _refusal(ctx: Context, rate: Json, shipment: Json) -> list[Json]:
    """ERROR messages for a purchase the carrier turns down (timeout, customs)."""
    carrier, provider = rate["carrier_account"].split("-")[1], rate["provider"]
    if carrier in behaviour.current(ctx).carrier_timeouts:
        text = f"{provider} API did not respond. Please try again in a few minutes."
        return [{"source": provider, "code": "carrier_timeout", "text": text}]
    if shipment["address_from"]["country"] == shipment["address_to"]["country"]:
        return []
    found = customs.problems(
        carrier, shipment.get("_customs_body"), address_from=shipment["address_from"],
        address_to=shipment["address_to"], parcels=shipment["parcels"],
    )  # fmt: skip
    return [{"source": provider, "code": "customs_invalid", "text": t} for t in found]


def create_transaction(ctx: Context, req: Request) -> Response:
    """POST /transactions: buy a label for a rate (QUEUED first when so configured)."""
    _check_body(req.body)
    rate = _rate_for_purchase(ctx, req.body)
    shipment = ctx.fetch("shipment", rate["shipment"])
    if shipment["address_from"]["country"] != shipment["address_to"]["country"] and not (
        shipment.get("_customs")
    ):
        raise HttpError(
            400,
            {
                "customs_declaration": [
                    "A customs declaration is required for international shipments."
                ]
            },
        )
    stamp, queue = ctx.stamp(), behaviour.current(ctx).purchase_queue_seconds
    tx: Json = {
        "object_id": new_id(), "object_state": "VALID", "status": "QUEUED",
        "object_created": stamp, "object_updated": stamp, "object_owner": OWNER,
        "created_by": None, "test": behaviour.is_test_token(req), "rate": rate["object_id"],
        "tracking_number": "", "tracking_status": "UNKNOWN", "tracking_url_provider": "",
        "label_file_type": req.body.get("label_file_type") or "PDF_4x6",
        "metadata": str(req.body.get("metadata") or ""), "messages": [],
        "parcel": shipment["parcels"][0]["object_id"],
        "_carrier": rate["carrier_account"].split("-")[1],
        "_ready_at": (ctx.now() + timedelta(seconds=queue)).timestamp(),
    }  # fmt: skip
    with ctx.store.atomic():
        ctx.store.put("transaction", tx["object_id"], tx, ref=rate["object_id"])
        if queue <= 0:
            _finish(ctx, tx, emit=False)
    out = transaction_out(ctx, req, tx)
    ctx.hooks.emit("transaction_created", out)
    return Response(201, out)


def _finish(ctx: Context, tx: Json, *, emit: bool = True) -> None:
    """QUEUED → SUCCESS (label, tracking) or ERROR (the carrier's refusal)."""
    rate = ctx.fetch("rate", tx["rate"])
    shipment = ctx.fetch("shipment", rate["shipment"])
    refusal = _refusal(ctx, rate, shipment)
    tx["object_updated"] = ctx.stamp()
    if refusal:
        tx.update(status="ERROR", object_state="INVALID", messages=refusal)
    else:
        carrier, tid = tx["_carrier"], tx["object_id"]
        number = tracking_number(carrier, tid)
        eta = tracking.iso(ctx.now() + timedelta(days=int(rate.get("estimated_days") or 5)))
        tx.update(
            status="SUCCESS", tracking_number=number, tracking_status="PRE_TRANSIT", eta=eta,
            tracking_url_provider=f"https://tracking.sandbox.test/{carrier}/{number}",
            _invoice=shipment["address_from"]["country"] != shipment["address_to"]["country"],
        )  # fmt: skip
        street2 = str(shipment["address_to"].get("street2") or "")
        record = tracking.new_track(
            carrier, number, started_at=ctx.now(), eta=eta, transaction=tid,
            scenario=tracking.scenario_for(street2, tx["metadata"], shipment.get("metadata")),
            address_from=shipment["address_from"], address_to=shipment["address_to"],
            servicelevel={k: rate["servicelevel"][k] for k in ("name", "token")},
        )  # fmt: skip
        ctx.store.put("track", f"{carrier}:{number}", record, ref=number)
    ctx.store.put("transaction", tx["object_id"], tx, ref=tx["rate"])
    if emit:
        ctx.hooks.emit("transaction_updated", {**public(tx), "label_url": ""})


def advance(ctx: Context, tx: Json) -> Json:
    """Finish a QUEUED purchase whose time has come (called on every read)."""
    if tx["status"] == "QUEUED" and ctx.now().timestamp() >= float(tx.get("_ready_at") or 0):
        with ctx.store.atomic():
            fresh = ctx.store.get("transaction", tx["object_id"]) or tx
            if fresh["status"] == "QUEUED":
                _finish(ctx, fresh)
            return fresh
    return tx


def list_transactions(ctx: Context, req: Request) -> Response:
    """GET /transactions, filtered by rate, object_status and tracking_status."""
    found = [
        advance(ctx, t) for t in ctx.store.find("transaction", ref=req.query.get("rate") or None)
    ]
    for key, field in (("object_status", "status"), ("tracking_status", "tracking_status")):
        if req.query.get(key):
            found = [t for t in found if t.get(field) == req.query[key]]
    return Response(200, page(req, found, render=lambda tx: transaction_out(ctx, req, tx)))


def get_transaction(ctx: Context, req: Request, transaction_id: str) -> Response:
    """GET /transactions/{id} (fresh document URLs each time)."""
    tx = advance(ctx, ctx.fetch("transaction", transaction_id))
    return Response(200, transaction_out(ctx, req, tx))


def label_file(ctx: Context, req: Request, transaction_id: str) -> Response:
    """GET /sandbox/label-files/{id}.pdf?expires=…&signature=…: the 4x6 PDF, or the ZPL II
    document (`{id}.zpl`, text/plain) of a label bought with label_file_type ZPLII."""
    check_signed(ctx, req)
    tx = ctx.fetch("transaction", transaction_id.removesuffix(".pdf").removesuffix(".zpl"))
    rate = ctx.fetch("rate", tx["rate"])
    shipment = ctx.fetch("shipment", rate["shipment"])
    parcel = shipment["parcels"][0]
    zpl = tx.get("label_file_type") == "ZPLII"
    document = (render_zpl if zpl else render_label)(
        address_from=shipment["address_from"], address_to=shipment["address_to"],
        provider=rate["provider"], service=rate["servicelevel"]["name"],
        tracking_number=tx["tracking_number"], weight=f"{parcel['weight']} {parcel['mass_unit']}",
        extra=shipment.get("extra") or {},
    )  # fmt: skip
    return Response(200, document, content_type="text/plain" if zpl else "application/pdf")


def invoice_file(ctx: Context, req: Request, transaction_id: str) -> Response:
    """GET /sandbox/invoice-files/{id}.pdf?…: the commercial invoice of an export label."""
    check_signed(ctx, req)
    tx = ctx.fetch("transaction", transaction_id.removesuffix(".pdf"))
    shipment = ctx.fetch("shipment", ctx.fetch("rate", tx["rate"])["shipment"])
    pdf = render_invoice(
        transaction_id=tx["object_id"], address_from=shipment["address_from"],
        address_to=shipment["address_to"], customs=shipment.get("_customs_body") or {},
    )  # fmt: skip
    return Response(200, pdf, content_type="application/pdf")


def register(router: Router) -> None:
    """Mount these routes."""
    router.add("POST", "/transactions", create_transaction)
    router.add("GET", "/transactions", list_transactions)
    router.add("GET", "/transactions/{transaction_id}", get_transaction)
    router.add("GET", "/sandbox/label-files/{transaction_id}", label_file)
    router.add("GET", "/sandbox/invoice-files/{transaction_id}", invoice_file)
