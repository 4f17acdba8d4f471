"""Sandbox /tracks and /webhooks, plus the /sandbox control paths for tests and benchmarks."""

from __future__ import annotations

from collections import Counter
from typing import Any

from carriers.sandbox import faults, tracking
from carriers.sandbox.context import OWNER, Context, new_id, page
from carriers.sandbox.http import HttpError, Request, Response, Router

Json = dict[str, Any]
WEBHOOK_EVENTS = (
    "transaction_created",
    "transaction_updated",
    "track_updated",
    "batch_created",
    "batch_purchased",
    "all",
)


def _stored(ctx: Context, carrier: str, number: str) -> Json | None:
    return ctx.store.get("track", f"{carrier.lower()}:{number}")


def _save(ctx: Context, record: Json, moved: int) -> Json:
    """Persist a record; mirror its status on the label and announce the change."""
    key = f"{record['carrier']}:{record['tracking_number']}"
    ctx.store.put("track", key, record, ref=record["tracking_number"])
    body = tracking.track_json(record, ctx.now())
    if moved and record.get("transaction"):
        tx = ctx.store.get("transaction", record["transaction"])
        if tx is not None:
            tx["tracking_status"] = body["tracking_status"]["status"]
            ctx.store.put("transaction", tx["object_id"], tx, ref=tx["rate"])
    if moved:
        ctx.hooks.emit("track_updated", body)
    return body


def get_track(ctx: Context, req: Request, carrier: str, tracking_number: str) -> Response:
    """GET /tracks/{carrier}/{tracking_number}."""
    del req
    if carrier.lower() == "shippo" and tracking_number in tracking.TEST_NUMBERS:
        stored = _stored(ctx, carrier, tracking_number)
        record = stored or tracking.test_track(tracking_number, None, ends_at=None)
        return Response(200, tracking.track_json(record, ctx.now()))
    with ctx.store.atomic():
        found = _stored(ctx, carrier, tracking_number)
        if found is None:
            unknown = {
                "carrier": carrier.lower(),
                "tracking_number": tracking_number,
                "scenario": "delivered",
                "emitted": [],
            }
            return Response(200, tracking.track_json(unknown, ctx.now()))
        moved = tracking.catch_up(found, ctx.now())
        return Response(200, _save(ctx, found, moved))


def create_track(ctx: Context, req: Request) -> Response:
    """POST /tracks: register a number for track_updated webhooks."""
    carrier = str(req.body.get("carrier") or "").lower()
    number = str(req.body.get("tracking_number") or "")
    missing = {
        k: ["This field is required."]
        for k, v in (("carrier", carrier), ("tracking_number", number))
        if not v
    }
    if missing:
        raise HttpError(400, missing)
    metadata = str(req.body.get("metadata") or "")
    if carrier == "shippo" and number in tracking.TEST_NUMBERS:
        record = _stored(ctx, carrier, number) or tracking.test_track(
            number, metadata, ends_at=ctx.now()
        )
        record["metadata"] = metadata or record.get("metadata") or ""
        ctx.store.put("track", f"shippo:{number}", record, ref=number)
        return Response(200, tracking.track_json(record, ctx.now()))
    with ctx.store.atomic():
        record = _stored(ctx, carrier, number) or {}
        moved = 0
        if not record:
            scenario = tracking.scenario_for(number, metadata, prefix="")
            record = tracking.new_track(carrier, number, scenario=scenario, started_at=ctx.now())
        else:
            moved = tracking.catch_up(record, ctx.now())
        record["metadata"] = metadata or record.get("metadata") or ""
        record["subscribed"] = True
        return Response(200, _save(ctx, record, moved))


def advance_track(ctx: Context, req: Request, tracking_number: str) -> Response:
    """POST /sandbox/tracks/{tracking_number}/advance {"steps": 1, "carrier": optional}."""
    steps = int(req.body.get("steps") or 1)
    with ctx.store.atomic():
        carrier = req.body.get("carrier")
        records = [
            r
            for r in ctx.store.find("track", ref=tracking_number)
            if not carrier or r["carrier"] == str(carrier).lower()
        ]
        if not records:
            raise HttpError(404, {"detail": f"No sandbox track for {tracking_number}."})
        record = records[0]
        if record["carrier"] == "shippo" and tracking_number in tracking.TEST_NUMBERS:
            raise HttpError(400, {"detail": "Shippo test numbers have a fixed history."})
        moved = tracking.advance(record, ctx.now(), steps)
        return Response(200, _save(ctx, record, moved))


def create_webhook(ctx: Context, req: Request) -> Response:
    """POST /webhooks."""
    hook = _webhook_fields(req.body, {})
    stamp = ctx.stamp()
    hook.update(object_id=new_id(), object_created=stamp, object_updated=stamp, object_owner=OWNER)
    ctx.store.put("webhook", hook["object_id"], hook)
    return Response(201, hook)


def _webhook_fields(body: Json, current: Json) -> Json:
    event, url = body.get("event", current.get("event")), body.get("url", current.get("url"))
    problems: dict[str, list[str]] = {}
    if event not in WEBHOOK_EVENTS:
        problems["event"] = [f"'{event}' is not a valid choice."]
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        problems["url"] = ["Enter a valid URL."]
    if problems:
        raise HttpError(400, problems)
    hook = {**current, "event": event, "url": url}
    for flag, default in (("active", True), ("is_test", True)):
        hook[flag] = bool(body.get(flag, current.get(flag, default)))
    return hook


def list_webhooks(ctx: Context, req: Request) -> Response:
    """GET /webhooks."""
    hooks = ctx.store.find("webhook")
    return Response(200, {**page(req, hooks, default_results=100), "count": len(hooks)})


def get_webhook(ctx: Context, req: Request, webhook_id: str) -> Response:
    """GET /webhooks/{id}."""
    del req
    return Response(200, ctx.fetch("webhook", webhook_id))


def update_webhook(ctx: Context, req: Request, webhook_id: str) -> Response:
    """PUT /webhooks/{id}."""
    hook = _webhook_fields(req.body, ctx.fetch("webhook", webhook_id))
    hook["object_updated"] = ctx.stamp()
    ctx.store.put("webhook", webhook_id, hook)
    return Response(200, hook)


def delete_webhook(ctx: Context, req: Request, webhook_id: str) -> Response:
    """DELETE /webhooks/{id}."""
    del req
    if not ctx.store.delete("webhook", webhook_id):
        raise HttpError(404, {"detail": "Not found."})
    return Response(204)


def labels_summary(ctx: Context, req: Request) -> Response:
    """GET /sandbox/labels: every purchase, with counts per metadata to spot duplicates."""
    del req
    txs = ctx.store.find("transaction")[::-1]
    counts = Counter(t["metadata"] for t in txs if t["status"] != "ERROR")
    rows = [
        {
            k: t.get(k)
            for k in (
                "object_id",
                "metadata",
                "rate",
                "tracking_number",
                "status",
                "object_created",
            )
        }
        for t in txs
    ]
    return Response(
        200,
        {
            "count": len(txs),
            "by_metadata": dict(counts),
            "duplicates": sorted(m for m, n in counts.items() if n > 1),
            "results": rows,
        },
    )


def set_faults(ctx: Context, req: Request) -> Response:
    """POST /sandbox/faults {"faults": "...", "latency_ms": 0, "seed": 1}; shared via the DB."""
    spec = req.body.get("faults")
    try:
        faults.parse(spec)
    except faults.FaultSpecError as exc:
        raise HttpError(400, {"faults": [str(exc)]}) from exc
    ctx.store.set_setting("faults", str(spec or ""))
    for key in ("latency_ms", "seed"):
        if key in req.body:
            ctx.store.set_setting(key, str(int(req.body[key])))
    return get_faults(ctx, req)


def get_faults(ctx: Context, req: Request) -> Response:
    """GET /sandbox/faults."""
    del req
    return Response(200, {k: ctx.store.setting(k) for k in ("faults", "latency_ms", "seed")})


def reset(ctx: Context, req: Request) -> Response:
    """POST /sandbox/reset: forget everything."""
    del req
    ctx.store.reset()
    return Response(200, {"reset": True})


def health(ctx: Context, req: Request) -> Response:
    """GET /sandbox/health."""
    del ctx, req
    return Response(200, {"ok": True})


def register(router: Router) -> None:
    """Mount these routes."""
    router.add("POST", "/tracks", create_track)
    router.add("GET", "/tracks/{carrier}/{tracking_number}", get_track)
    router.add("POST", "/webhooks", create_webhook)
    router.add("GET", "/webhooks", list_webhooks)
    router.add("GET", "/webhooks/{webhook_id}", get_webhook)
    router.add("PUT", "/webhooks/{webhook_id}", update_webhook)
    router.add("DELETE", "/webhooks/{webhook_id}", delete_webhook)
    router.add("GET", "/sandbox/labels", labels_summary)
    router.add("POST", "/sandbox/tracks/{tracking_number}/advance", advance_track)
    router.add("GET", "/sandbox/faults", get_faults)
    router.add("POST", "/sandbox/faults", set_faults)
    router.add("POST", "/sandbox/reset", reset)
    router.add("GET", "/sandbox/health", health)
