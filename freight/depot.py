"""The repair depot's address, from settings: the one place it is put together."""

from __future__ import annotations

from carriers.types import Address
from freight.settings import Settings


def depot_address(settings: Settings) -> Address:
    """The repair depot: origin of outbound shipments, destination of inbound ones."""
    return Address(
        name=settings.depot_attention,
        company=settings.depot_name,
        street1=settings.depot_street1,
        city=settings.depot_city,
        state=settings.depot_state,
        postal_code=settings.depot_postal_code,
        country=settings.depot_country,
        phone=settings.depot_phone,
        email=settings.depot_email,
    )


def depot_lines(settings: Settings) -> list[str]:
    """The depot's address as printed on a carton or in an email."""
    a = depot_address(settings)
    return [a.company or "", f"Attn: {a.name}", a.street1, f"{a.city}, {a.state} {a.postal_code}",
            a.country]  # fmt: skip
