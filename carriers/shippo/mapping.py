"""Pure translation between our types and Shippo's JSON (as the SDK models serialize it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from carriers.errors import InvalidParcel, UnexpectedResponse
from carriers.shippo.tracks import parse_datetime
from carriers.types import (
    Address,
    CustomsDeclaration,
    Label,
    Manifest,
    Parcel,
    Pickup,
    Rate,
    RateRequest,
    Refund,
)
from freight.money import Money, MoneyError

Json = dict[str, Any]

# Shippo "provider" display names -> the carrier tokens its tracking endpoints take.
PROVIDER_TOKENS: dict[str, str] = {
    "usps": "usps",
    "ups": "ups",
    "fedex": "fedex",
    "dhl express": "dhl_express",
    "dhl ecommerce": "dhl_ecommerce",
    "canada post": "canada_post",
    "shippo": "shippo",
}


def carrier_token(provider: str) -> str:
    """Turn a provider name ("DHL Express") into its tracking token ("dhl_express")."""
    key = provider.strip().lower()
    return PROVIDER_TOKENS.get(key, key.replace(" ", "_"))


def decimal_str(value: Decimal) -> str:
    """A plain decimal string without exponent, as Shippo expects."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _put(target: Json, key: str, value: object) -> None:
    if value is not None and value != "":
        target[key] = value


def address_json(address: Address, *, validate: bool = False) -> Json:
    """Our Address -> Shippo AddressCreateRequest JSON."""
    body: Json = {
        "name": address.name,
        "street1": address.street1,
        "city": address.city,
        "zip": address.postal_code,
        "country": address.country.upper(),
    }
    for key, value in (
        ("company", address.company),
        ("street2", address.street2),
        ("state", address.state),
        ("phone", address.phone),
        ("email", address.email),
    ):
        _put(body, key, value)
    if address.is_residential is not None:
        body["is_residential"] = address.is_residential
    if validate:
        body["validate"] = True
    return body


def check_parcel(parcel: Parcel) -> None:
    """Refuse parcels no carrier can take before any request is sent."""
    for name in ("length", "width", "height", "weight"):
        value = getattr(parcel, name)
        if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
            raise InvalidParcel(f"parcel {name} must be a positive number, got {value}")


def parcel_json(parcel: Parcel) -> Json:
    """Our Parcel -> Shippo ParcelCreateRequest JSON (numbers as strings)."""
    return {
        "length": decimal_str(parcel.length),
        "width": decimal_str(parcel.width),
        "height": decimal_str(parcel.height),
        "distance_unit": parcel.distance_unit,
        "weight": decimal_str(parcel.weight),
        "mass_unit": parcel.mass_unit,
    }


def customs_json(customs: CustomsDeclaration) -> Json:
    """Our CustomsDeclaration -> Shippo CustomsDeclarationCreateRequest JSON."""
    body: Json = {
        "certify": customs.certify,
        "certify_signer": customs.certify_signer,
        "contents_type": customs.contents_type,
        "non_delivery_option": customs.non_delivery_option,
        "items": [
            {
                "description": item.description,
                "quantity": item.quantity,
                "net_weight": decimal_str(item.net_weight),
                "mass_unit": item.mass_unit,
                "value_amount": str(item.value.quantize().amount),
                "value_currency": item.value.currency,
                "origin_country": item.origin_country.upper(),
                **({"tariff_number": item.tariff_number} if item.tariff_number else {}),
            }
            for item in customs.items
        ],
    }
    _put(body, "incoterm", customs.incoterm)
    _put(body, "contents_explanation", customs.contents_explanation)
    _put(body, "eel_pfc", customs.eel_pfc)
    _put(body, "aes_itn", customs.aes_itn)
    if customs.commercial_invoice:
        body["commercial_invoice"] = True
    return body


def shipment_json(request: RateRequest) -> Json:
    """Our RateRequest -> Shippo ShipmentCreateRequest JSON (synchronous rating)."""
    body: Json = {
        "address_from": address_json(request.from_address),
        "address_to": address_json(request.to_address),
        "parcels": [parcel_json(p) for p in request.parcels],
        "async": False,
    }
    _put(body, "metadata", request.metadata)
    if request.insurance is not None:
        insured = request.insurance.quantize()
        body["extra"] = {
            "insurance": {
                "amount": str(insured.amount),
                "currency": insured.currency,
                "content": "Repaired hardware",
            }
        }
    if request.is_return or request.reference:
        body["extra"] = {**body.get("extra", {}), **return_extra(request)}
    if request.customs is not None:
        body["customs_declaration"] = customs_json(request.customs)
    return body


def return_extra(request: RateRequest) -> Json:
    """Shippo's return flag and reference fields (ShipmentExtra: `is_return`, `rma_number`
    {value ≤ 40}, `reference_1` ≤ 50 characters)."""
    extra: Json = {}
    if request.is_return:
        extra["is_return"] = True
    if request.reference:
        extra["rma_number"] = {"value": request.reference[:40]}
        extra["reference_1"] = request.reference[:50]
    return extra


def transaction_json(rate_id: str, *, metadata: str, label_format: str) -> Json:
    """Body of POST /transactions that buys a label for a rate, synchronously."""
    return {
        "rate": rate_id,
        "metadata": metadata,
        "label_file_type": label_format,
        "async": False,
    }


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value not in (None, "") else None


def address_from_json(data: Mapping[str, Any]) -> Address:
    """Shippo Address JSON -> our Address."""
    return Address(
        name=_text(data, "name") or "",
        street1=_text(data, "street1") or "",
        city=_text(data, "city") or "",
        postal_code=_text(data, "zip") or "",
        country=(_text(data, "country") or "").upper(),
        company=_text(data, "company"),
        street2=_text(data, "street2"),
        state=_text(data, "state"),
        phone=_text(data, "phone"),
        email=_text(data, "email"),
        is_residential=data.get("is_residential")
        if isinstance(data.get("is_residential"), bool)
        else None,
    )


def merged_address(original: Address, data: Mapping[str, Any]) -> Address:
    """The carrier's version of an address, keeping our values where it sent blanks."""
    checked = address_from_json(data)
    values = {
        f.name: getattr(checked, f.name)
        if getattr(checked, f.name) is not None and getattr(checked, f.name) != ""
        else getattr(original, f.name)
        for f in fields(Address)
    }
    return Address(**values)


# Message codes that mean "the carrier could not answer now", not "the carrier refuses": Shippo's
# own example is carrier_timeout ("UPS API did not respond. Please try again in a few minutes").
TEMPORARY_CODES = frozenset({"carrier_timeout"})


def temporary_sources(messages: object) -> tuple[str, ...]:
    """The carriers (message `source`) whose message codes say: try again later."""
    if not isinstance(messages, Sequence) or isinstance(messages, str):
        return ()
    found = [
        carrier_token(str(m.get("source") or "")) or "carrier"
        for m in messages
        if isinstance(m, Mapping) and str(m.get("code") or "").lower() in TEMPORARY_CODES
    ]
    return tuple(dict.fromkeys(found))


def messages_text(messages: object) -> str:
    """Join Shippo ResponseMessage texts ("source: text") into one line."""
    if not isinstance(messages, Sequence) or isinstance(messages, str):
        return ""
    parts: list[str] = []
    for message in messages:
        if isinstance(message, Mapping):
            text = " ".join(str(message.get(k) or "") for k in ("code", "text")).strip()
            source = message.get("source")
            parts.append(f"{source}: {text}" if source else text)
        elif message:
            parts.append(str(message))
    return "; ".join(p for p in parts if p)


def validation_problem(data: Mapping[str, Any]) -> str | None:
    """The carrier's reason when an address failed validation, else None."""
    results = data.get("validation_results")
    if not isinstance(results, Mapping) or results.get("is_valid") is not False:
        return None
    return messages_text(results.get("messages")) or "address is not valid"


def _money(amount: object, currency: object) -> Money:
    try:
        return Money.of(Decimal(str(amount)), str(currency or "USD"))
    except (InvalidOperation, MoneyError, ValueError) as exc:
        raise UnexpectedResponse(f"unreadable amount {amount!r} {currency!r}") from exc


def rate_from_json(data: Mapping[str, Any]) -> Rate:
    """Shippo Rate JSON -> our Rate."""
    level = data.get("servicelevel") or {}
    if not data.get("object_id") or not isinstance(level, Mapping):
        raise UnexpectedResponse("rate without object_id or servicelevel")
    days = data.get("estimated_days")
    return Rate(
        rate_id=str(data["object_id"]),
        carrier=carrier_token(str(data.get("provider") or "")),
        service=str(level.get("name") or level.get("token") or ""),
        service_token=str(level.get("token") or ""),
        amount=_money(data.get("amount"), data.get("currency")),
        estimated_days=int(days) if isinstance(days, int | str) and str(days).isdigit() else None,
        shipment_id=str(data.get("shipment") or ""),
        created_at=parse_datetime(data.get("object_created")),
        test=data.get("test") is True,
        carrier_account=_text(data, "carrier_account"),
    )


def rates_from_json(rates: object) -> list[Rate]:
    """A Shippo rates array -> our Rates, cheapest first."""
    if not isinstance(rates, list):
        raise UnexpectedResponse("rates is not a list")
    parsed = [rate_from_json(r) for r in rates if isinstance(r, Mapping)]
    return sorted(parsed, key=lambda r: (r.amount.amount, r.estimated_days or 99, r.rate_id))


def transaction_rate_id(data: Mapping[str, Any]) -> str | None:
    """The rate id of a Transaction, whether `rate` is an id or a CoreRate object."""
    rate = data.get("rate")
    if isinstance(rate, Mapping):
        return _text(rate, "object_id")
    return str(rate) if rate else None


def label_from_json(data: Mapping[str, Any], rate: Rate) -> Label:
    """A SUCCESS Shippo Transaction JSON -> our Label, priced by its rate."""
    tracking, url = _text(data, "tracking_number"), _text(data, "label_url")
    if not data.get("object_id") or not tracking or not url:
        raise UnexpectedResponse("transaction without object_id, tracking_number or label_url")
    return Label(
        transaction_id=str(data["object_id"]),
        rate_id=transaction_rate_id(data) or rate.rate_id,
        tracking_number=tracking,
        carrier=rate.carrier,
        label_url=url,
        cost=rate.amount,
        metadata=str(data.get("metadata") or ""),
        eta=parse_datetime(data.get("eta")),
        commercial_invoice_url=_text(data, "commercial_invoice_url"),
        test=data.get("test") is True,
    )


def refund_from_json(data: Mapping[str, Any]) -> Refund:
    """Shippo Refund JSON -> our Refund."""
    status = str(data.get("status") or "")
    if not data.get("object_id") or status not in ("QUEUED", "PENDING", "SUCCESS", "ERROR"):
        raise UnexpectedResponse(f"refund without object_id or with status {status!r}")
    return Refund(
        refund_id=str(data["object_id"]),
        transaction_id=str(data.get("transaction") or ""),
        status=status,
        test=data.get("test") is True,
    )


def manifest_json(
    *, carrier_account: str, ship_date: date, transaction_ids: Sequence[str], address: Address
) -> Json:
    """Body of POST /manifests: the day's labels of one carrier account, closed out."""
    return {
        "carrier_account": carrier_account,
        "shipment_date": f"{ship_date.isoformat()}T23:59:59Z",
        "transactions": list(transaction_ids),
        "address_from": address_json(address),
        "async": False,
    }


def manifest_from_json(data: Mapping[str, Any]) -> Manifest:
    return Manifest(
        manifest_id=str(data.get("object_id") or ""),
        carrier_account=str(data.get("carrier_account") or ""),
        ship_date=str(data.get("shipment_date") or "")[:10],
        transaction_ids=tuple(str(t) for t in data.get("transactions") or ()),
        status=str(data.get("status") or ""),
        documents=tuple(str(d) for d in data.get("documents") or ()),
        errors=tuple(str(e) for e in data.get("errors") or ()),
    )


def pickup_json(
    *,
    carrier_account: str,
    transaction_ids: Sequence[str],
    start: datetime,
    end: datetime,
    address: Address,
    metadata: str,
) -> Json:
    """Body of POST /pickups (PickupBase): where, when and which labels."""
    return {
        "carrier_account": carrier_account,
        "location": {"address": address_json(address), "building_location_type": "Front Door"},
        "transactions": list(transaction_ids),
        "requested_start_time": start.isoformat(),
        "requested_end_time": end.isoformat(),
        "metadata": metadata[:100],
    }


def pickup_from_json(data: Mapping[str, Any]) -> Pickup:
    def moment(key: str) -> datetime:
        text = str(data.get(key) or data.get(key.replace("confirmed", "requested")) or "")
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return Pickup(
        pickup_id=str(data.get("object_id") or ""),
        status=str(data.get("status") or ""),
        confirmation_code=str(data.get("confirmation_code") or ""),
        start=moment("confirmed_start_time"),
        end=moment("confirmed_end_time"),
        transaction_ids=tuple(str(t) for t in data.get("transactions") or ()),
        metadata=str(data.get("metadata") or ""),
    )
