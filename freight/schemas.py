"""Shared Pydantic pieces: Money and Address on the wire."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

import pycountry
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from freight.geo.rules import CountryError, resolve_country
from freight.limits import MONEY_MAX, check_amount
from freight.money import Money
from freight.text import Line20, Line200, Opt200

Text200 = Line200
OptText = Opt200 | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@lru_cache(maxsize=1)
def _currencies() -> list[str]:
    return sorted(str(c.alpha_3) for c in pycountry.currencies)


def _currency_enum() -> dict[str, Any]:
    return {"enum": _currencies()}


def check_currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return code


# What `check_amount` admits for a non-negative amount, written out for the OpenAPI document.
_AMOUNT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": MONEY_MAX, "multipleOf": 0.0001},
        {
            "type": "string",
            "pattern": r"^0*(?:\d{1,9}(?:\.\d{0,4})?|\.\d{1,4}|1000000000(?:\.0{0,4})?)$",
        },
    ],
    "description": 'Decimal amount, e.g. "12.34": at most 10^9, at most 4 decimals',
}


class MoneyIn(Strict):
    amount: Decimal = Field(json_schema_extra=_AMOUNT_SCHEMA)
    currency: str = Field(
        default="USD", description="ISO 4217 code", json_schema_extra=_currency_enum()
    )

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float_noise(cls, value: Any) -> Any:
        # JSON numbers arrive as floats; go through their shortest repr, never binary noise.
        return str(value) if isinstance(value, float) else value

    @field_validator("amount")
    @classmethod
    def _bounded(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative")
        return check_amount(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


def request_rules_schema() -> dict[str, Any]:
    """The cross-field rules of a request, for the OpenAPI document: insurance needs a positive
    declared value (P-INSURE); a credit return is a web-store order with its price, payment
    reference and a receipt or purchase date (P-CREDIT)."""
    positive = {"anyOf": [{"type": "number", "exclusiveMinimum": 0},
                          {"type": "string", "pattern": "[1-9]"}]}  # fmt: skip
    given = {"not": {"type": "null"}}
    insurance = {
        "if": {"required": ["insurance_requested"],
               "properties": {"insurance_requested": {"const": True}}},
        "then": {"required": ["declared_value"],
                 "properties": {"declared_value": {"type": "object", "required": ["amount"],
                                                   "properties": {"amount": positive}}}},
    }  # fmt: skip
    credit = {
        "if": {"required": ["kind"], "properties": {"kind": {"const": "credit_return"}}},
        "then": {
            "properties": {"proof_of_purchase": {
                "required": ["document_type", "price", "payment_reference"],
                "properties": {"document_type": {"const": "web_order"}, "price": given,
                               "payment_reference": given},
            }},
            "anyOf": [
                {"required": ["customer_received_at"],
                 "properties": {"customer_received_at": given}},
                {"properties": {"proof_of_purchase": {"required": ["purchase_date"],
                                                      "properties": {"purchase_date": given}}}},
            ],
        },
    }  # fmt: skip
    return {"allOf": [insurance, credit]}


class MoneyOut(BaseModel):
    amount: str
    currency: str

    @classmethod
    def of(cls, amount: Decimal | None, currency: str | None) -> MoneyOut | None:
        if amount is None or currency is None:
            return None
        return cls.known(amount, currency)

    @classmethod
    def known(cls, amount: Decimal, currency: str) -> MoneyOut:
        """An amount that is always there (a quote's, a rate's)."""
        return cls(**Money(amount, currency).as_json())


def country_field(value: Any) -> str:
    """Pydantic hook: any accepted country form → alpha-2, or a message naming the value."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError("must be a country code or name")
    try:
        return resolve_country(value)
    except CountryError as exc:
        raise ValueError(str(exc)) from exc


def country_schema(restricted: Iterable[str] = ()) -> dict[str, Any]:
    """The countries a request may name: ISO 3166-1 codes, less those under export restrictions
    (P-EXPORT refuses them)."""
    refused = set(restricted)
    countries = [c for c in pycountry.countries if str(c.alpha_2) not in refused]
    codes = sorted(str(c.alpha_2) for c in countries) + sorted(str(c.alpha_3) for c in countries)
    return {
        "anyOf": [
            {"type": "string", "enum": codes},
            {"type": "integer", "enum": sorted(int(c.numeric) for c in countries)},
        ],
        "description": "ISO 3166-1 alpha-2 code (alpha-3, numeric and English names are accepted)",
        "x-country": True,
    }


class _CountrySchema:
    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return country_schema()


# Any accepted country form, answered as alpha-2.
CountryCode = Annotated[str, BeforeValidator(lambda v: country_field(v)), _CountrySchema()]


class AddressIn(Strict):
    name: Text200
    company: OptText = None
    street1: Text200
    street2: OptText = None
    city: Text200
    state: OptText = None
    postal_code: Line20
    country: CountryCode
    phone: OptText = None
    email: OptText = None


class AddressOut(BaseModel):
    name: str
    company: str | None = None
    street1: str
    street2: str | None = None
    city: str
    state: str | None = None
    postal_code: str
    country: str
    phone: str | None = None
    email: str | None = None


class FreightTermsOut(BaseModel):
    payer: str
    card_required: bool
    rule: str
    reason: str
    region: str


# Problem+json in OpenAPI (RFC 9457): written out, so the schema sits under its own media type.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def problem_responses(statuses: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for problem+json answers: status → meaning (429 gets Retry-After)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status, description in statuses.items():
        entry: dict[str, Any] = {
            "description": description,
            "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
        }
        if status == 429:
            entry["headers"] = {
                "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
            }
        out[status] = entry
    return out
