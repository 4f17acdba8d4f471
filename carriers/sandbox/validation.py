"""Sandbox input checks, answering the way Shippo does (field -> messages). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry

from carriers.sandbox.rating import TO_IN, TO_LB

# Countries whose addresses carry no postal code (reviewed list, kept as data).
NO_POSTAL_CODE = set(
    "AE AG AN AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER FJ GA GD GH GM GN GQ GY HK "
    "KI KM KN KP LY ML MO MR MW NR NU QA RW SB SC SL SO SR ST SY TD TF TG TK TL TO TT TV UG VU "
    "YE ZW".split()
)
UNDELIVERABLE_WORD = "UNDELIVERABLE"
MAX_SIDE_IN = Decimal(400)  # beyond any carrier: refused as absurd rather than just too big


def known_country(code: object) -> bool:
    """True for an ISO 3166 alpha-2 code (NA is Namibia)."""
    return (
        isinstance(code, str)
        and len(code) == 2
        and pycountry.countries.get(alpha_2=code.upper()) is not None
    )


def address_errors(address: object) -> dict[str, list[str]]:
    """Structural problems of an address: unknown country, missing postal code, ..."""
    if not isinstance(address, Mapping):
        return {"address": ["Expected an address object."]}
    errors: dict[str, list[str]] = {}
    country = str(address.get("country") or "").upper()
    if not country:
        errors["country"] = ["This field is required."]
    elif not known_country(country):
        errors["country"] = [f"'{country}' is not a valid ISO 3166 country code."]
    for field in ("street1", "city"):
        if not str(address.get(field) or "").strip():
            errors[field] = ["This field is required."]
    if country not in NO_POSTAL_CODE and not str(address.get("zip") or "").strip():
        errors["zip"] = ["A postal code (zip) is required for this country."]
    return errors


def is_undeliverable(address: Mapping[str, Any]) -> bool:
    """The sandbox's convention: UNDELIVERABLE in street1 is an address no carrier serves."""
    return UNDELIVERABLE_WORD in str(address.get("street1") or "").upper()


def validation_messages(address: Mapping[str, Any]) -> list[dict[str, str]]:
    """Shippo AddressValidationResults messages for an address."""
    problems = [
        {
            "source": "Shippo Address Validator",
            "code": f"invalid_{field}",
            "type": "address_error",
            "text": f"{field}: {' '.join(texts)}",
        }
        for field, texts in address_errors(address).items()
    ]
    if is_undeliverable(address):
        problems.append(
            {
                "source": "Shippo Address Validator",
                "code": "address_undeliverable",
                "type": "address_error",
                "text": "The address is undeliverable (street not found).",
            }
        )
    return problems


def _number(value: object) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parcel_errors(parcel: object) -> dict[str, list[str]]:
    """Problems with one parcel: units, non-positive or absurd weight and dimensions."""
    if not isinstance(parcel, Mapping):
        return {"parcel": ["Expected a parcel object."]}
    errors: dict[str, list[str]] = {}
    if parcel.get("mass_unit") not in TO_LB:
        errors["mass_unit"] = [f"'{parcel.get('mass_unit')}' is not a valid mass unit."]
    if parcel.get("distance_unit") not in TO_IN:
        errors["distance_unit"] = [f"'{parcel.get('distance_unit')}' is not a valid unit."]
    for field in ("length", "width", "height", "weight"):
        number = _number(parcel.get(field))
        if number is None:
            errors[field] = ["A valid number is required."]
        elif number <= 0:
            errors[field] = [f"The parcel {field} must be greater than 0."]
    if errors:
        return errors
    inch = TO_IN[str(parcel["distance_unit"])]
    for field in ("length", "width", "height"):
        if Decimal(str(parcel[field])) * inch > MAX_SIDE_IN:
            errors[field] = [f"The parcel {field} is beyond any carrier's limits."]
    if Decimal(str(parcel["weight"])) * TO_LB[str(parcel["mass_unit"])] > 2000:
        errors["weight"] = ["The parcel weight is beyond any carrier's limits."]
    return errors


def extra_errors(extra: object) -> dict[str, list[str]]:
    """Shippo's ShipmentExtra return fields: `is_return` a boolean, `reference_1`/`reference_2`
    text up to 50 characters, `rma_number` an object whose `value` is text up to 40."""
    if extra is None:
        return {}
    if not isinstance(extra, dict):
        return {"extra": ["must be an object"]}
    problems: dict[str, list[str]] = {}
    if "is_return" in extra and not isinstance(extra["is_return"], bool):
        problems["is_return"] = ["must be a boolean"]
    for key in ("reference_1", "reference_2"):
        value = extra.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 50):
            problems[key] = ["must be text of at most 50 characters"]
    rma = extra.get("rma_number")
    if rma is not None:
        value = rma.get("value") if isinstance(rma, dict) else None
        if not isinstance(rma, dict) or (
            value is not None and (not isinstance(value, str) or len(value) > 40)
        ):
            problems["rma_number"] = ["must be an object whose value is at most 40 characters"]
    return problems
