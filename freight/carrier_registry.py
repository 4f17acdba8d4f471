"""The carriers this service knows, in one place: token, name, number formats, tracking page,
and the ways people write them. Keys are Shippo carrier tokens (lower case). Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class CarrierSpec:
    """A carrier customers may ship with: name, number formats, public tracking page."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    example: str
    tracking_url: str = ""  # "{number}" is replaced
    aliases: tuple[str, ...] = ()  # how people write it in special requirements ("Fed Ex")


def _re(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


_S10 = r"[A-Z]{2}\d{9}[A-Z]{2}"  # UPU S10 (international mail), e.g. EC123456789US
# Keys are Shippo carrier tokens. Formats are the carriers' published ones (after removing spaces).
CARRIERS: Mapping[str, CarrierSpec] = MappingProxyType(
    {
        "usps": CarrierSpec(
            "USPS",
            _re(r"\d{20,22}", r"\d{26}", r"\d{30}", r"\d{34}", _S10),
            "9400111899223197428490",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
            ("usps", "u.s. postal service", "postal service"),
        ),
        "ups": CarrierSpec(
            "UPS",
            _re(r"1Z[0-9A-Z]{16}", r"T\d{10}", r"\d{9}", r"\d{12}"),
            "1Z999AA10123456784",
            "https://www.ups.com/track?tracknum={number}",
            ("ups",),
        ),
        "fedex": CarrierSpec(
            "FedEx",
            _re(r"\d{12}", r"\d{15}", r"\d{20}", r"\d{22}", r"\d{34}"),
            "449044304137821",
            "https://www.fedex.com/fedextrack/?trknbr={number}",
            ("fedex", "fed ex", "federal express"),
        ),
        "dhl_express": CarrierSpec(
            "DHL Express",
            _re(r"\d{10}", r"\d{11}", r"JJD\d{10,20}", r"JD\d{18}"),
            "1234567890",
            "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
            ("dhl express", "dhl"),
        ),
        "dhl_ecommerce": CarrierSpec(
            "DHL eCommerce",
            _re(r"GM\d{16,18}", r"\d{22}", r"[A-Z0-9]{10,39}"),
            "GM2951173225174494",
        ),
        "canada_post": CarrierSpec(
            "Canada Post",
            _re(r"\d{16}", r"\d{12}", _S10),
            "1234567890123456",
            "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
        ),
        # Shippo's test numbers (test mode and the sandbox carrier).
        "shippo": CarrierSpec(
            "Shippo test carrier",
            _re(r"SHIPPO_(PRE_TRANSIT|TRANSIT|DELIVERED|RETURNED|FAILURE|UNKNOWN)"),
            "SHIPPO_TRANSIT",
        ),
    }
)


# The carriers a customer may pick when telling us how the unit ships in (the test carrier last).
CUSTOMER_CHOICES = ("ups", "fedex", "usps", "dhl_express", "dhl_ecommerce", "canada_post", "shippo")


def normalize_carrier(carrier: str) -> str:
    """Carrier tokens compare lower-case ("DHL Express" → "dhl_express")."""
    return carrier.strip().lower().replace(" ", "_")


def display_name(carrier: str | None, *, unknown: str = "the carrier") -> str:
    """A carrier as people read it ("dhl_express" → "DHL Express"); `unknown` when none."""
    if not carrier:
        return unknown
    spec = CARRIERS.get(normalize_carrier(carrier))
    return spec.name if spec else carrier.replace("_", " ").strip().title()


def aliases(carrier: str) -> tuple[str, ...]:
    """The ways people write a carrier ("fedex", "Federal Express")."""
    spec = CARRIERS.get(carrier)
    return spec.aliases if spec and spec.aliases else (carrier.replace("_", " "),)


def service_name(carrier: str | None, service: str | None) -> str:
    """Carrier and service as one phrase, the carrier named once: ("fedex", "FedEx International
    Economy") and ("fedex", "international_economy") both → "FedEx International Economy";
    ("dhl_express", "Express Worldwide") → "DHL Express Worldwide"."""
    name = display_name(carrier, unknown="")
    text = (service or "").replace("_", " ").strip()
    if text and (text.islower() or text.isupper()):
        text = " ".join(w.upper() if w.upper() in _ACRONYMS else w.title() for w in text.split())
    words, said = name.split(), text.split()
    for overlap in range(min(len(words), len(said)), 0, -1):  # drop the carrier said twice
        if [w.lower() for w in words[-overlap:]] == [w.lower() for w in said[:overlap]]:
            said = said[overlap:]
            break
    return " ".join([*words, *said])


_ACRONYMS = frozenset({"UPS", "USPS", "DHL", "GND", "AM", "PM", "US"})
