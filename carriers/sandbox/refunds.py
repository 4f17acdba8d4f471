"""Sandbox /refunds as Shippo runs them: asked for, QUEUED, then PENDING, then SUCCESS (the label
becomes REFUNDED) or ERROR (REFUNDREJECTED); a label scanned meanwhile is rejected too.
Progress happens when the refund or its label is read, or on POST /sandbox/settle."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carriers.sandbox import behaviour
from carriers.sandbox.context import OWNER, Context, new_id, page, public
from carriers.sandbox.http import HttpError, Request, Response, Router
from carriers.sandbox.labels import advance as advance_label

Json = dict[str, Any]


def _refusal(ctx: Context, tx: Json | None, transaction_id: str) -> str | None:
    if tx is None:
        return f"Transaction with object_id '{transaction_id}' does not exist."
    if tx["status"] in ("REFUNDED", "REFUNDPENDING"):
        return "A refund has already been requested for this label."
    if tx["status"] not in ("SUCCESS", "REFUNDREJECTED"):
        return f"Only successful labels can be refunded (status {tx['status']})."
    if _scanned(ctx, tx):
        return "The label has already been used (scanned by the carrier) and cannot be refunded."
    return None


def _scanned(ctx: Context, tx: Json) -> bool:
    record = ctx.store.get("track", f"{tx['_carrier']}:{tx['tracking_number']}") or {}
    return len(record.get("emitted") or []) > 1


def create_refund(ctx: Context, req: Request) -> Response:
    """POST /refunds: ask for the refund of an unused label (answers QUEUED)."""
    transaction_id = req.body.get("transaction")
    if not transaction_id or not isinstance(transaction_id, str):
        raise HttpError(400, {"transaction": ["This field is required."]})
    with ctx.store.atomic():
        tx = ctx.store.get("transaction", transaction_id)
        if tx is not None:
            tx = advance_label(ctx, tx)
        reason = _refusal(ctx, tx, transaction_id)
        if reason is not None or tx is None:
            raise HttpError(400, {"transaction": [reason or "not refundable"]})
        stamp, wait = ctx.stamp(), behaviour.current(ctx).refund_seconds
        refund: Json = {
            "object_id": new_id(), "object_created": stamp, "object_updated": stamp,
            "object_owner": OWNER, "status": "QUEUED", "transaction": transaction_id,
            "test": behaviour.is_test_token(req),
            "_ready_at": (ctx.now() + timedelta(seconds=wait)).timestamp(),
        }  # fmt: skip
        tx.update(status="REFUNDPENDING", object_updated=stamp)
        ctx.store.put("transaction", transaction_id, tx, ref=tx["rate"])
        ctx.store.put("refund", refund["object_id"], refund, ref=transaction_id)
    ctx.hooks.emit("transaction_updated", {**public(tx), "label_url": ""})
    return Response(201, public(refund))


def advance(ctx: Context, refund: Json) -> Json:
    """QUEUED → PENDING on the first look after it was asked for; → SUCCESS | ERROR once its
    time (`refund_seconds`) has come."""
    if refund["status"] in ("SUCCESS", "ERROR"):
        return refund
    with ctx.store.atomic():
        refund = ctx.store.get("refund", refund["object_id"]) or refund
        if refund["status"] == "QUEUED":
            refund.update(status="PENDING", object_updated=ctx.stamp())
        if ctx.now().timestamp() >= float(refund.get("_ready_at") or 0):
            _finish(ctx, refund)
        ctx.store.put("refund", refund["object_id"], refund, ref=refund["transaction"])
    return refund


def _finish(ctx: Context, refund: Json) -> None:
    tx = ctx.fetch("transaction", refund["transaction"])
    rejected = behaviour.current(ctx).refund_outcome == "reject" or _scanned(ctx, tx)
    stamp = ctx.stamp()
    refund.update(status="ERROR" if rejected else "SUCCESS", object_updated=stamp)
    tx.update(status="REFUNDREJECTED" if rejected else "REFUNDED", object_updated=stamp)
    ctx.store.put("transaction", tx["object_id"], tx, ref=tx["rate"])
    ctx.hooks.emit("transaction_updated", {**public(tx), "label_url": ""})


def list_refunds(ctx: Context, req: Request) -> Response:
    """GET /refunds (no filters, newest first)."""
    found = [public(advance(ctx, r)) for r in ctx.store.find("refund")]
    return Response(200, page(req, found, default_results=25))


def get_refund(ctx: Context, req: Request, refund_id: str) -> Response:
    """GET /refunds/{id}."""
    del req
    return Response(200, public(advance(ctx, ctx.fetch("refund", refund_id))))


def settle(ctx: Context, req: Request) -> Response:
    """POST /sandbox/settle: move every queued purchase and refund on as far as time allows,
    sending their transaction_updated events."""
    del req
    labels = [advance_label(ctx, t) for t in ctx.store.find("transaction")]
    refunds = [advance(ctx, r) for r in ctx.store.find("refund")]
    return Response(
        200,
        {
            "queued_labels": sum(t["status"] == "QUEUED" for t in labels),
            "open_refunds": sum(r["status"] in ("QUEUED", "PENDING") for r in refunds),
        },
    )


def register(router: Router) -> None:
    router.add("POST", "/refunds", create_refund)
    router.add("GET", "/refunds", list_refunds)
    router.add("GET", "/refunds/{refund_id}", get_refund)
    router.add("POST", "/sandbox/settle", settle)
