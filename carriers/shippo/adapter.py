"""ShippoCarrier: the CarrierPort on the official `shippo` SDK. The only module importing it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import requests
import shippo
from shippo.models import components

from carriers.config import CarrierConfig
from carriers.errors import (
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    InvalidParcel,
    LabelNotRefundable,
    UnexpectedResponse,
)
from carriers.limits import CallGate
from carriers.shippo import mapping
from carriers.shippo.classify import by_words, rejection
from carriers.shippo.lookups import LabelLookups
from carriers.shippo.results import as_json, to_model, tracking_info, unavailable
from carriers.shippo.retry import RetryPolicy, TransientError
from carriers.shippo.session import TimeoutSession
from carriers.types import (
    Address,
    Label,
    Manifest,
    Pickup,
    Rate,
    RateList,
    RateRequest,
    Refund,
    TrackingInfo,
)

log = logging.getLogger("carriers.shippo")
Json = dict[str, Any]
DEFAULT_SERVER = "https://api.goshippo.com"


class ShippoCarrier(LabelLookups):
    """Rates, labels, refunds and tracking through Shippo (or anything speaking its API)."""

    def __init__(
        self,
        config: CarrierConfig,
        *,
        api_key: str,
        server_url: str | None = None,
        session: requests.Session | None = None,
        gate: CallGate | None = None,
        now: Any = None,
    ) -> None:
        self._config = config
        self.session = session if session is not None else build_session(
            config, api_key=api_key, server_url=server_url or DEFAULT_SERVER, gate=gate
        )  # fmt: skip
        token = api_key if api_key.startswith("ShippoToken ") else f"ShippoToken {api_key}"
        self._sdk = shippo.Shippo(
            api_key_header=token,
            shippo_api_version=config.shippo_api_version,
            server_url=server_url,
            client=self.session,
        )
        self._policy = RetryPolicy(
            max_attempts=config.max_attempts,
            max_seconds=config.max_retry_seconds,
            initial_seconds=config.backoff_initial_seconds,
            max_backoff_seconds=config.backoff_max_seconds,
        )
        self._now = now or (lambda: datetime.now(UTC))
        self._tokens: dict[str, str] = {}

    # --- addresses and rates ----------------------------------------------------------------

    def validate_address(self, address: Address) -> Address:
        """Return the carrier's normalized address (with is_residential) or raise AddressInvalid."""
        body = mapping.address_json(address, validate=True)
        request = to_model(components.AddressCreateRequest, body)
        data = self._call("address", lambda: self._sdk.addresses.create(request))
        problem = mapping.validation_problem(data)
        if problem is not None:
            raise rejection("address", problem, None)
        return mapping.merged_address(address, data)

    def rate(self, request: RateRequest) -> RateList:
        """Create a Shippo shipment and return its rates, cheapest first."""
        if not request.parcels:
            raise InvalidParcel("a shipment needs at least one parcel")
        for parcel in request.parcels:
            mapping.check_parcel(parcel)
        body = to_model(components.ShipmentCreateRequest, mapping.shipment_json(request))
        data = self._call("rate", lambda: self._sdk.shipments.create(body))
        rates = mapping.rates_from_json(data.get("rates") or [])
        missing = mapping.temporary_sources(data.get("messages"))
        if not rates:
            text = mapping.messages_text(data.get("messages")) or "no service can carry it"
            if missing:
                raise CarrierUnavailable(
                    "the carrier did not answer; rate again later", carrier_message=text
                )
            raise by_words(text, status_code=None, default="no rates for this shipment")
        shipment_id = str(data.get("object_id") or "")
        rates = [
            replace(r, shipment_id=r.shipment_id or shipment_id, carrier=self._token(r))
            for r in rates
        ]
        self._live(any(r.test for r in rates), "rates")
        log.info("carrier.rated", extra={"event": "carrier.rated", "rates": len(rates)})
        return RateList(rates, missing)

    # --- labels -----------------------------------------------------------------------------

    def buy_label(
        self,
        rate: Rate,
        *,
        metadata: str,
        label_format: str = "PDF_4x6",
        may_exist: bool = True,
        earlier_rates: Sequence[str] = (),
    ) -> Label:
        """Buy a label for `rate` unless one was bought for it or for `earlier_rates` (the
        shipment's other recorded rate ids) before. `may_exist=False`: no earlier attempt can
        have posted this very rate, so only the earlier rates are looked up first; an ambiguous
        failure is always looked up before any retry. Raises LabelPending for a QUEUED label."""
        self._check_age(rate)
        first = [r for r in earlier_rates if r != rate.rate_id]
        existing = self._find([*first, *([rate.rate_id] if may_exist else [])], rate)
        if existing is not None:
            log.info(
                "carrier.label.reused",
                extra={"event": "carrier.label.reused", "metadata": metadata},
            )
            return existing
        body = mapping.transaction_json(rate.rate_id, metadata=metadata, label_format=label_format)
        request = to_model(components.TransactionCreateRequest, body)
        return self._post_purchase(request, rate, [rate.rate_id, *first], metadata)

    def _post_purchase(self, request: Any, rate: Rate, lookup: list[str], metadata: str) -> Label:
        ambiguous = False
        try:
            for attempt in self._policy.retrying("buy"):
                with attempt:
                    if ambiguous and (found := self._resolve(lookup, rate, metadata)) is not None:
                        return found
                    try:
                        with self._long_calls():
                            data = self._guard("buy", lambda: self._decoded(
                                lambda: self._sdk.transactions.create(request)))  # fmt: skip
                    except TransientError as exc:
                        ambiguous = ambiguous or exc.ambiguous
                        raise
                    except UnexpectedResponse:
                        # Bought or not? Unreadable answers are ambiguous too: look before failing.
                        if (found := self._resolve(lookup, rate, metadata)) is not None:
                            return found
                        raise
                    return self._settle(data, rate)
        except TransientError as exc:
            if ambiguous and (found := self._resolve(lookup, rate, metadata)) is not None:
                return found
            raise unavailable("buy", exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def find_label(self, rate_ids: Sequence[str]) -> Label | None:
        """The label bought for any of these rate ids (QUEUED ones raise LabelPending)."""
        return self._find(list(dict.fromkeys(r for r in rate_ids if r)), None)

    def get_label(self, transaction_id: str) -> Label:
        """The label as it is now (a fresh label_url); LabelPending while QUEUED."""
        data = self._call("lookup", lambda: self._sdk.transactions.get(transaction_id))
        return self._settle(data, None, poll=False)

    def get_label_file(self, label: Label, *, document: str = "label") -> bytes:
        """Download the label (or `commercial_invoice`); an expired signed URL (403) is
        refreshed through GET /transactions/{id} once."""
        url = label.commercial_invoice_url if document == "commercial_invoice" else label.label_url
        if not url:
            raise UnexpectedResponse(f"the label has no {document} document")
        try:
            return self._retry("file", lambda: self._fetch(url))
        except CarrierError as exc:
            if exc.status_code not in (401, 403, 404):
                raise
        fresh = self.get_label(label.transaction_id)
        new = fresh.commercial_invoice_url if document == "commercial_invoice" else fresh.label_url
        return self._retry("file", lambda: self._fetch(new or ""))

    # --- refunds ----------------------------------------------------------------------------

    def void_label(self, transaction_id: str) -> Refund:
        """Ask for a refund of an unused label; the answer is usually QUEUED (not done yet).
        A label whose refund was already asked for (an answer lost, here or in a process that
        died) gives back that refund rather than an error."""

        def create() -> Json:
            with self._long_calls():
                return as_json(self._sdk.refunds.create(transaction=transaction_id, async_=False))

        try:
            data = self._retry("void", create)
        except LabelNotRefundable:
            earlier = self._refund_for(transaction_id)
            if earlier is None:
                raise
            return earlier
        refund = mapping.refund_from_json(data)
        self._live(refund.test, "refund")
        log.info(
            "carrier.label.refund_requested",
            extra={"event": "carrier.label.refund_requested", "transaction_id": transaction_id,
                   "refund_status": refund.status},
        )  # fmt: skip
        return refund

    def get_refund(self, refund_id: str) -> Refund:
        """The refund as it is now (QUEUED → PENDING → SUCCESS | ERROR)."""
        return mapping.refund_from_json(
            self._call("void", lambda: self._sdk.refunds.get(refund_id))
        )

    # --- tracking ---------------------------------------------------------------------------

    def get_tracking(self, carrier: str, tracking_number: str) -> TrackingInfo:
        """Return the current tracking state."""
        data = self._call(
            "track",
            lambda: self._sdk.tracking_status.get(tracking_number=tracking_number, carrier=carrier),
        )
        return tracking_info(data, carrier, tracking_number)

    def subscribe_tracking(
        self, carrier: str, tracking_number: str, *, metadata: str
    ) -> TrackingInfo:
        """Register for track_updated webhooks (labels Shippo sold are tracked without this)."""
        data = self._call(
            "track",
            lambda: self._sdk.tracking_status.create(
                carrier=carrier, tracking_number=tracking_number, metadata=metadata
            ),
        )
        return tracking_info(data, carrier, tracking_number)

    # --- end of day: manifests and pickups ----------------------------------------------------

    def create_manifest(
        self,
        *,
        carrier_account: str,
        ship_date: date,
        transaction_ids: Sequence[str],
        address: Address,
    ) -> Manifest:
        """POST /manifests (synchronous); a refusal (no labels, bad address) is CarrierRejected."""
        body = mapping.manifest_json(
            carrier_account=carrier_account, ship_date=ship_date,
            transaction_ids=transaction_ids, address=address,
        )  # fmt: skip
        request = to_model(components.ManifestCreateRequest, body)
        manifest = mapping.manifest_from_json(
            self._call("buy", lambda: self._sdk.manifests.create(request))
        )
        if manifest.status == "ERROR":
            raise CarrierRejected(
                "the carrier refused the manifest", carrier_message="; ".join(manifest.errors)
            )
        return manifest

    def find_manifest(
        self, *, carrier_account: str, ship_date: date, transaction_ids: Sequence[str]
    ) -> Manifest | None:
        """The newest pages of GET /manifests: one for this account and day holding our labels."""
        data = self._call("lookup", lambda: self._sdk.manifests.list(page=1, results=25))
        wanted = set(transaction_ids)
        for item in data.get("results") or []:
            if not isinstance(item, dict):
                continue
            found = mapping.manifest_from_json(item)
            if (
                found.carrier_account == carrier_account
                and found.ship_date == ship_date.isoformat()
                and wanted <= set(found.transaction_ids)
                and found.status != "ERROR"
            ):
                return found
        return None

    def get_manifest_file(self, manifest: Manifest) -> bytes:
        """Download the manifest's first document."""
        if not manifest.documents:
            raise UnexpectedResponse("the manifest has no document")
        return self._retry("file", lambda: self._fetch(manifest.documents[0]))

    def create_pickup(
        self,
        *,
        carrier_account: str,
        transaction_ids: Sequence[str],
        start: datetime,
        end: datetime,
        address: Address,
        metadata: str,
    ) -> Pickup:
        """POST /pickups; ERROR or CANCELLED answers are CarrierRejected."""
        body = mapping.pickup_json(
            carrier_account=carrier_account, transaction_ids=transaction_ids, start=start,
            end=end, address=address, metadata=metadata,
        )  # fmt: skip
        request = to_model(components.PickupBase, body)
        data = self._call("buy", lambda: self._sdk.pickups.create(request))
        pickup = mapping.pickup_from_json(data)
        if pickup.status in ("ERROR", "CANCELLED"):
            raise CarrierRejected(
                "the carrier refused the pickup",
                carrier_message=mapping.messages_text(data.get("messages")),
            )
        return pickup


def build_session(
    config: CarrierConfig, *, api_key: str, server_url: str, gate: CallGate | None
) -> TimeoutSession:
    """The SDK's session: timeouts, and the shared per-minute budget when a gate is given."""
    mode = config.rate_limit_mode if config.rate_limit_mode in ("live", "test") else None
    return TimeoutSession(
        config.timeout_seconds, gate=gate, api_key=api_key, api_base=server_url,
        mode=mode,  # type: ignore[arg-type]
        max_wait_seconds=config.rate_limit_max_wait_seconds,
        overrides=config.rate_limit_overrides, pool_size=config.http_pool_size,
    )  # fmt: skip
