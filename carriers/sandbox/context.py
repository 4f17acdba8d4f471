"""What every sandbox handler gets: the store, the clock, the webhook dispatcher."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from carriers.sandbox.hooks import WebhookDispatcher
from carriers.sandbox.http import HttpError, Request
from carriers.sandbox.store import SandboxStore
from carriers.sandbox.tracking import iso

Json = dict[str, Any]
OWNER = "sandbox@rr-freight.test"


def utcnow() -> datetime:
    """The real clock (tests inject their own)."""
    return datetime.now(UTC)


@dataclass
class Context:
    store: SandboxStore
    hooks: WebhookDispatcher
    now: Callable[[], datetime] = utcnow

    def stamp(self) -> str:
        """Now as Shippo writes it."""
        return iso(self.now())

    def fetch(self, kind: str, object_id: str) -> Json:
        """A stored object or a Shippo-style 404."""
        found = self.store.get(kind, object_id)
        if found is None:
            raise HttpError(404, {"detail": "Not found."})
        return found


def new_id() -> str:
    """A Shippo-like 32 hex object id."""
    return uuid.uuid4().hex


def public(data: Json) -> Json:
    """Drop the sandbox's private keys (those starting with _) before answering."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def page(
    request: Request,
    items: list[Json],
    *,
    default_results: int = 25,
    render: Callable[[Json], Json] = lambda item: item,
) -> Json:
    """A Shippo paginated list; `next`/`previous` appear only when there is such a page."""
    number = request.int_arg("page", 1)
    size = request.int_arg("results", default_results, high=100)
    start = (number - 1) * size
    body: Json = {"results": [public(render(i)) for i in items[start : start + size]]}
    link = f"{request.base_url}{request.path}?results={size}&page="
    if start + size < len(items):
        body["next"] = f"{link}{number + 1}"
    if number > 1:
        body["previous"] = f"{link}{number - 1}"
    return body


def address_out(body: Json, object_id: str, stamp: str, messages: list[Json] | None) -> Json:
    """A Shippo Address object from a request body."""
    fields = (
        "name",
        "company",
        "street1",
        "street2",
        "street3",
        "street_no",
        "city",
        "state",
        "zip",
        "country",
        "phone",
        "email",
        "metadata",
    )
    address: Json = {f: str(body.get(f) or "") for f in fields}
    address["country"] = address["country"].upper()
    address.update(
        object_id=object_id,
        object_created=stamp,
        object_updated=stamp,
        object_owner=OWNER,
        is_complete=not messages,
        test=True,
    )
    if isinstance(body.get("is_residential"), bool):
        address["is_residential"] = body["is_residential"]
    if messages is not None:
        address["validation_results"] = {"is_valid": not messages, "messages": messages}
        # The sandbox's address book: an address with a company name is a business.
        address["is_residential"] = not str(body.get("company") or "").strip()
    return address


def parcel_out(body: Json, object_id: str, stamp: str) -> Json:
    """A Shippo Parcel object from a request body."""
    parcel: Json = {k: str(body.get(k)) for k in ("length", "width", "height", "weight")}
    parcel.update(
        distance_unit=body.get("distance_unit"),
        mass_unit=body.get("mass_unit"),
        object_id=object_id,
        object_state="VALID",
        object_created=stamp,
        object_updated=stamp,
        object_owner=OWNER,
        metadata=str(body.get("metadata") or ""),
        extra={},
        test=True,
    )
    return parcel
