"""Shared Pydantic pieces: Money and Address on the wire."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import pycountry
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from freight.geo.rules import CountryError, resolve_country
from freight.money import Money

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptText = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def check_currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return code


class MoneyIn(Strict):
    amount: Decimal = Field(description='Decimal amount, e.g. "12.34"')
    currency: str = Field(default="USD", description="ISO 4217 code")

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float_noise(cls, value: Any) -> Any:
        # JSON numbers arrive as floats; go through their shortest repr, never binary noise.
        return str(value) if isinstance(value, float) else value

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


class MoneyOut(BaseModel):
    amount: str
    currency: str

    @classmethod
    def of(cls, amount: Decimal | None, currency: str | None) -> MoneyOut | None:
        if amount is None or currency is None:
            return None
        return cls(**Money(amount, currency).as_json())


def country_field(value: Any) -> str:
    """Pydantic hook: any accepted country form → alpha-2, or a message naming the value."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError("must be a country code or name")
    try:
        return resolve_country(value)
    except CountryError as exc:
        raise ValueError(str(exc)) from exc


class AddressIn(Strict):
    name: Text200
    company: OptText = None
    street1: Text200
    street2: OptText = None
    city: Text200
    state: OptText = None
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)
    ]
    country: str
    phone: OptText = None
    email: OptText = None

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> str:
        return country_field(value)


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
