"""Country input and destination rules (SPEC §2 P-EXPORT, North-America list). Pure."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Literal

import pycountry

from freight.rules import RuleError

Region = Literal["north_america", "international"]

_NAME_ATTRS = ("name", "official_name", "common_name")


class CountryError(RuleError):
    """Input that is not an ISO 3166-1 country; `value` keeps the raw input."""

    def __init__(self, value: object, *, field: str | None = None) -> None:
        super().__init__(
            f"{value!r} is not a known country "
            "(use ISO 3166-1 alpha-2, alpha-3, numeric or the English name)",
            field=field,
        )
        self.value = value


class ExportRestrictedError(RuleError):
    """A destination under export restrictions (P-EXPORT)."""

    def __init__(self, alpha2: str, *, field: str | None = "country") -> None:
        super().__init__(
            f"Shipments to {country_name(alpha2)} ({alpha2}) are refused: "
            "the destination is under export restrictions.",
            rule="P-EXPORT",
            field=field,
        )
        self.country = alpha2


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Exact-match keys (case-folded codes and names) → alpha-2; built once from pycountry."""
    index: dict[str, str] = {}
    for country in pycountry.countries:
        alpha2 = str(country.alpha_2)
        index[alpha2.casefold()] = alpha2
        index[str(country.alpha_3).casefold()] = alpha2
        index[str(country.numeric)] = alpha2
        for attr in _NAME_ATTRS:
            name = getattr(country, attr, None)
            if name:
                index[str(name).casefold()] = alpha2
    return index


def _key(value: object) -> str | None:
    """Normalise raw input to an index key, or None when the type can never be a country."""
    # bool is an int subclass; True must not become country 001.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"{value:03d}" if 0 < value < 1000 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= 3:
        return text.zfill(3)
    return text.casefold() or None


def resolve_country(value: str | int) -> str:
    """Resolve alpha-2/alpha-3/numeric/exact English name to an upper-case alpha-2 code."""
    key = _key(value)
    alpha2 = _index().get(key) if key is not None else None
    if alpha2 is None:
        raise CountryError(value)
    return alpha2


def country_name(alpha2: str) -> str:
    """The short English name for a code ("Iran" rather than "Iran, Islamic Republic of")."""
    country = pycountry.countries.get(alpha_2=alpha2.upper())
    if country is None:
        return alpha2.upper()
    return str(getattr(country, "common_name", None) or country.name)


def region_of(alpha2: str, north_america: Collection[str]) -> Region:
    """North America when the code is on the reviewed list, else international."""
    return "north_america" if alpha2.strip().upper() in north_america else "international"


def check_export(alpha2: str, restricted: Collection[str]) -> None:
    """Refuse destinations under export restrictions (P-EXPORT)."""
    code = alpha2.strip().upper()
    if code in restricted:
        raise ExportRestrictedError(code)
