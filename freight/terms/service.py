"""Freight terms for a shipment, with the policy's refusals as 422s naming the field (P-EXPORT)."""

from __future__ import annotations

from typing import cast

from freight.errors import FieldError, ValidationFailedError
from freight.geo.rules import ExportRestrictedError
from freight.policy import terms_policy
from freight.rules import RuleError
from freight.settings import Settings
from freight.terms.rules import Direction, FreightTerms, Kind, Purpose, decide_terms


def terms_for(
    settings: Settings, *, direction: str, country: str, kind: str = "repair",
    purpose: str | None = None, field: str = "country",
) -> FreightTerms:  # fmt: skip
    """Who pays this trip (P-NA / P-QUOTE / P-INBOUND); an export-restricted or unknown
    destination is refused with a 422 naming `field` (the caller's name for the country)."""
    try:
        return decide_terms(
            direction=cast(Direction, direction), country=country, kind=cast(Kind, kind),
            purpose=cast(Purpose | None, purpose), policy=terms_policy(settings),
        )  # fmt: skip
    except ExportRestrictedError as exc:
        raise ValidationFailedError(
            str(exc), [FieldError(field, str(exc))], rule="P-EXPORT"
        ) from exc
    except RuleError as exc:
        name = field if exc.field in (None, "country") else exc.field
        raise ValidationFailedError(str(exc), [FieldError(name, str(exc))]) from exc


def outbound_terms(settings: Settings, *, kind: str, country: str, purpose: str | None = None,
                   field: str = "return_address.country") -> FreightTerms:  # fmt: skip
    """Who pays the trip back to the customer (a credit return goes back to its sender)."""
    if purpose is None:
        purpose = "return_to_sender" if kind == "credit_return" else "repair_return"
    return terms_for(
        settings, direction="outbound", country=country, kind=kind, purpose=purpose, field=field
    )
