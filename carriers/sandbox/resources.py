"""Sandbox /addresses, /shipments and /rates, answering as Shippo does."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from carriers.sandbox import behaviour, rating, validation
from carriers.sandbox.context import (
    OWNER,
    Context,
    address_out,
    new_id,
    page,
    parcel_out,
    public,
)
from carriers.sandbox.http import HttpError, Request, Response, Router

Json = dict[str, Any]


def create_address(ctx: Context, req: Request) -> Response:
    """POST /addresses (validate=true adds validation_results)."""
    problems = validation.address_errors(req.body)
    if "country" in problems:
        raise HttpError(400, {"country": problems["country"]})
    validate = req.body.get("validate") in (True, "true", "True", "1")
    messages = validation.validation_messages(req.body) if validate else None
    address = address_out(req.body, new_id(), ctx.stamp(), messages)
    address["test"] = behaviour.is_test_token(req)
    ctx.store.put("address", address["object_id"], address)
    return Response(201, public(address))


def list_addresses(ctx: Context, req: Request) -> Response:
    """GET /addresses."""
    return Response(200, page(req, ctx.store.find("address"), default_results=5))


def get_address(ctx: Context, req: Request, address_id: str) -> Response:
    """GET /addresses/{id}."""
    del req
    return Response(200, public(ctx.fetch("address", address_id)))


def validate_address(ctx: Context, req: Request, address_id: str) -> Response:
    """GET /addresses/{id}/validate."""
    del req
    address = ctx.fetch("address", address_id)
    messages = validation.validation_messages(address)
    address.update(
        validation_results={"is_valid": not messages, "messages": messages},
        is_complete=not messages,
        object_updated=ctx.stamp(),
    )
    ctx.store.put("address", address_id, address)
    return Response(200, public(address))


def _address(ctx: Context, value: object, field: str) -> Json:
    if isinstance(value, str):
        found = ctx.store.get("address", value)
        if found is None:
            raise HttpError(400, {field: [f"Address with object_id '{value}' does not exist."]})
        return found
    problems = validation.address_errors(value)
    if problems:
        raise HttpError(400, {field: problems})
    assert isinstance(value, dict)  # noqa: S101 - address_errors refuses anything else
    return address_out(value, new_id(), ctx.stamp(), None)


def _parcels(value: object) -> list[Json]:
    if not isinstance(value, list | dict) or not value:
        raise HttpError(400, {"parcels": ["At least one parcel is required."]})
    parcels = value if isinstance(value, list) else [value]
    problems = {str(i): validation.parcel_errors(p) for i, p in enumerate(parcels)}
    problems = {k: v for k, v in problems.items() if v}
    if problems:
        raise HttpError(400, {"parcels": problems})
    return [dict(p) for p in parcels]


def _customs(body: Json, international: bool) -> str | None:
    customs = body.get("customs_declaration")
    if customs is None:
        return None
    items = customs.get("items") if isinstance(customs, dict) else None
    if not isinstance(customs, str) and (not isinstance(items, list) or not items):
        raise HttpError(400, {"customs_declaration": {"items": ["This field is required."]}})
    del international  # domestic shipments may carry one too; it is simply kept
    return new_id()


def _insured(body: Json) -> Decimal | None:
    insurance = (body.get("extra") or {}).get("insurance") or {}
    try:
        return Decimal(str(insurance["amount"])) if insurance.get("amount") else None
    except (InvalidOperation, TypeError) as exc:
        raise HttpError(400, {"extra": {"insurance": ["amount must be a number"]}}) from exc


def rate_out(quote: rating.Quote, shipment_id: str, stamp: str, test: bool = True) -> Json:
    """A Shippo Rate object for one quote."""
    svc = quote.service
    return {
        "object_id": new_id(),
        "object_created": stamp,
        "object_owner": OWNER,
        "shipment": shipment_id,
        "attributes": [],
        "amount": str(quote.amount),
        "currency": "USD",
        "amount_local": str(quote.amount),
        "currency_local": "USD",
        "provider": svc.provider,
        "provider_image_75": "",
        "provider_image_200": "",
        "servicelevel": {"name": svc.name, "token": svc.token, "terms": ""},
        "estimated_days": svc.days,
        "duration_terms": f"Delivery in {svc.days} business days.",
        "carrier_account": f"sandbox-{svc.carrier}-account",
        "zone": quote.zone,
        "messages": [],
        "test": test,
    }


def _mark(rates: list[Json]) -> None:
    if not rates:
        return
    cheapest = min(rates, key=lambda r: Decimal(r["amount"]))
    fastest = min(rates, key=lambda r: (r["estimated_days"], Decimal(r["amount"])))
    best = min(rates, key=lambda r: Decimal(r["amount"]) * (1 + r["estimated_days"]))
    for rate, tag in ((cheapest, "CHEAPEST"), (fastest, "FASTEST"), (best, "BESTVALUE")):
        rate["attributes"].append(tag)


def _answered(ctx: Context, quotes: list[rating.Quote]) -> tuple[list[rating.Quote], list[Json]]:
    """Drop the services of carriers that "did not respond" (behaviour `carrier_timeouts`),
    with Shippo's carrier_timeout message for each."""
    down = behaviour.current(ctx).carrier_timeouts
    kept = [q for q in quotes if q.service.carrier not in down]
    providers = dict.fromkeys(q.service.provider for q in quotes if q.service.carrier in down)
    messages = [
        {
            "source": p,
            "code": "carrier_timeout",
            "text": f"{p} API did not respond. Please try again in a few minutes.",
        }
        for p in providers
    ]
    return kept, messages


def create_shipment(ctx: Context, req: Request) -> Response:
    """POST /shipments: validate, rate synchronously, store shipment and rates."""
    body, stamp, shipment_id = req.body, ctx.stamp(), new_id()
    address_from = _address(ctx, body.get("address_from"), "address_from")
    address_to = _address(ctx, body.get("address_to"), "address_to")
    parcels = _parcels(body.get("parcels"))
    international = address_from["country"] != address_to["country"]
    customs_id, insured = _customs(body, international), _insured(body)
    if extra_problems := validation.extra_errors(body.get("extra")):
        raise HttpError(400, {"extra": extra_problems})
    messages: list[Json] = []
    rates: list[Json] = []
    for side, address in (("address_from", address_from), ("address_to", address_to)):
        if validation.is_undeliverable(address):
            messages.append(
                {
                    "source": "Shippo Address Validator",
                    "code": "address_undeliverable",
                    "text": f"{side}: the address is undeliverable.",
                }
            )
    test = behaviour.is_test_token(req)
    if not messages:
        quotes, messages = rating.quote(address_from, address_to, parcels, insured)
        quotes, timeouts = _answered(ctx, quotes)
        messages += timeouts
        rates = [rate_out(q, shipment_id, stamp, test) for q in quotes]
        _mark(rates)
    if international and customs_id is None and rates:
        messages.append(
            {
                "source": "Shippo",
                "code": "customs_required",
                "text": "A customs declaration is required to buy a label.",
            }
        )
    shipment: Json = {
        "object_id": shipment_id,
        "object_created": stamp,
        "object_updated": stamp,
        "object_owner": OWNER,
        "status": "SUCCESS",
        "address_from": address_from,
        "address_to": address_to,
        "address_return": address_from,
        "parcels": [parcel_out(p, new_id(), stamp) for p in parcels],
        "carrier_accounts": [],
        "messages": messages,
        "metadata": str(body.get("metadata") or ""),
        "extra": body.get("extra") or {},
        "shipment_date": str(body.get("shipment_date") or stamp),
        "test": test,
        "_customs": customs_id,
        "_customs_body": body.get("customs_declaration")
        if isinstance(body.get("customs_declaration"), dict)
        else None,
        "_rates": [r["object_id"] for r in rates],
    }
    with ctx.store.atomic():
        for rate in rates:
            ctx.store.put("rate", rate["object_id"], rate, ref=shipment_id)
        ctx.store.put("shipment", shipment_id, shipment)
    return Response(201, {**public(shipment), "rates": rates})


def _with_rates(ctx: Context, shipment: Json) -> Json:
    return {**public(shipment), "rates": ctx.store.find("rate", ref=shipment["object_id"])[::-1]}


def list_shipments(ctx: Context, req: Request) -> Response:
    """GET /shipments."""
    shipments = [_with_rates(ctx, s) for s in ctx.store.find("shipment")]
    return Response(200, page(req, shipments))


def get_shipment(ctx: Context, req: Request, shipment_id: str) -> Response:
    """GET /shipments/{id}."""
    del req
    return Response(200, _with_rates(ctx, ctx.fetch("shipment", shipment_id)))


def shipment_rates(ctx: Context, req: Request, shipment_id: str, currency: str = "USD") -> Response:
    """GET /shipments/{id}/rates[/{currency}] (the sandbox prices in USD only)."""
    shipment = ctx.fetch("shipment", shipment_id)
    if currency.upper() != "USD":
        raise HttpError(400, {"currency": ["The sandbox quotes in USD only."]})
    return Response(200, page(req, _with_rates(ctx, shipment)["rates"]))


def get_rate(ctx: Context, req: Request, rate_id: str) -> Response:
    """GET /rates/{id}."""
    del req
    return Response(200, public(ctx.fetch("rate", rate_id)))


def get_carrier_account(ctx: Context, req: Request, account_id: str) -> Response:
    """GET /carrier_accounts/{id}: the sandbox's Shippo-managed account of each carrier."""
    del ctx
    token = account_id.removeprefix("sandbox-").removesuffix("-account")
    service = next((s for s in rating.SERVICES if s.carrier == token), None)
    if service is None or not account_id.startswith("sandbox-"):
        raise HttpError(404, {"detail": "Not found."})
    return Response(
        200,
        {
            "object_id": account_id, "object_owner": OWNER, "carrier": token,
            "carrier_name": service.provider, "account_id": "****", "active": True,
            "is_shippo_account": True, "metadata": "", "service_levels": [],
            "test": behaviour.is_test_token(req),
        },
    )  # fmt: skip


def register(router: Router) -> None:
    """Mount these routes."""
    router.add("POST", "/addresses", create_address)
    router.add("GET", "/addresses", list_addresses)
    router.add("GET", "/addresses/{address_id}", get_address)
    router.add("GET", "/addresses/{address_id}/validate", validate_address)
    router.add("POST", "/shipments", create_shipment)
    router.add("GET", "/shipments", list_shipments)
    router.add("GET", "/shipments/{shipment_id}", get_shipment)
    router.add("GET", "/shipments/{shipment_id}/rates", shipment_rates)
    router.add("GET", "/shipments/{shipment_id}/rates/{currency}", shipment_rates)
    router.add("GET", "/rates/{rate_id}", get_rate)
    router.add("GET", "/carrier_accounts/{account_id}", get_carrier_account)
