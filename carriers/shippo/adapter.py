"""ShippoCarrier: the CarrierPort on the official `shippo` SDK. The only module importing it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar

import requests
import shippo
from shippo.models import components, errors, operations

from carriers.config import CarrierConfig
from carriers.errors import (
    AmbiguousPurchase,
    CarrierError,
    CarrierUnavailable,
    InvalidParcel,
    LabelNotRefundable,
    UnexpectedResponse,
)
from carriers.shippo import mapping
from carriers.shippo.classify import (
    Operation,
    by_words,
    rejection,
)
from carriers.shippo.results import (
    as_json,
    from_sdk_error,
    to_model,
    tracking_info,
    unavailable,
)
from carriers.shippo.retry import RetryPolicy, TransientError
from carriers.shippo.session import TimeoutSession
from carriers.types import Address, Label, Rate, RateRequest, TrackingInfo

log = logging.getLogger("carriers.shippo")
T = TypeVar("T")
Json = dict[str, Any]
_PENDING = ("QUEUED", "WAITING")


class ShippoCarrier:
    """Rates, labels, refunds and tracking through Shippo (or anything speaking its API)."""

    def __init__(
        self,
        config: CarrierConfig,
        *,
        api_key: str,
        server_url: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._config = config
        self.session = session if session is not None else TimeoutSession(config.timeout_seconds)
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

    # --- port -------------------------------------------------------------------------------

    def validate_address(self, address: Address) -> Address:
        """Return the carrier's normalized address or raise AddressInvalid."""
        body = mapping.address_json(address, validate=True)
        request = to_model(components.AddressCreateRequest, body)
        data = self._call("address", lambda: self._sdk.addresses.create(request))
        problem = mapping.validation_problem(data)
        if problem is not None:
            raise rejection("address", problem, None)
        return mapping.merged_address(address, data)

    def rate(self, request: RateRequest) -> list[Rate]:
        """Create a Shippo shipment and return its rates, cheapest first."""
        if not request.parcels:
            raise InvalidParcel("a shipment needs at least one parcel")
        for parcel in request.parcels:
            mapping.check_parcel(parcel)
        body = to_model(components.ShipmentCreateRequest, mapping.shipment_json(request))
        data = self._call("rate", lambda: self._sdk.shipments.create(body))
        rates = mapping.rates_from_json(data.get("rates") or [])
        if not rates:
            text = mapping.messages_text(data.get("messages")) or "no service can carry it"
            raise by_words(text, status_code=None, default="no rates for this shipment")
        shipment_id = str(data.get("object_id") or "")
        rates = [r if r.shipment_id else replace(r, shipment_id=shipment_id) for r in rates]
        log.info("carrier.rated", extra={"event": "carrier.rated", "rates": len(rates)})
        return rates

    def buy_label(
        self, rate: Rate, *, metadata: str, label_format: str = "PDF_4x6", may_exist: bool = True
    ) -> Label:
        """Buy a label once per metadata: look up before buying (unless the caller knows this is
        the first attempt) and after any ambiguity."""
        existing = self._existing(rate, metadata) if may_exist else None
        if existing is not None:
            log.info(
                "carrier.label.reused",
                extra={"event": "carrier.label.reused", "metadata": metadata},
            )
            return existing
        body = mapping.transaction_json(rate.rate_id, metadata=metadata, label_format=label_format)
        request = to_model(components.TransactionCreateRequest, body)
        ambiguous = False
        try:
            for attempt in self._policy.retrying("buy"):
                with attempt:
                    if ambiguous and (found := self._resolve(rate, metadata)) is not None:
                        return found
                    try:
                        data = self._guard(
                            "buy",
                            lambda: self._decoded(lambda: self._sdk.transactions.create(request)),
                        )
                    except TransientError as exc:
                        ambiguous = ambiguous or exc.ambiguous
                        raise
                    except UnexpectedResponse:
                        # Bought or not? Unreadable answers are ambiguous too: look before failing.
                        if (found := self._resolve(rate, metadata)) is not None:
                            return found
                        raise
                    return self._settle(data, rate)
        except TransientError as exc:
            if ambiguous and (found := self._resolve(rate, metadata)) is not None:
                return found
            raise unavailable("buy", exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def find_label(self, metadata: str) -> Label | None:
        """Return the successful label bought with this metadata, if any."""
        if not metadata:
            return None
        for data in self._transactions(status=components.TransactionStatusEnum.SUCCESS):
            if data.get("metadata") == metadata:
                return mapping.label_from_json(data, self._rate_of(data, None))
        return None

    def get_label_file(self, label: Label) -> bytes:
        """Fetch the label file through the SDK's session (works in process too)."""
        return self._retry("file", lambda: self._fetch(label.label_url))

    def void_label(self, transaction_id: str) -> str:
        """Refund an unused label; return the refund status (SUCCESS, QUEUED, PENDING)."""
        tries = 0

        def create() -> Json:
            nonlocal tries
            tries += 1
            return as_json(self._sdk.refunds.create(transaction=transaction_id, async_=False))

        try:
            data = self._retry("void", create)
        except LabelNotRefundable:
            # An earlier attempt may have refunded it before its answer was lost.
            status = self._refund_status(transaction_id) if tries > 1 else None
            if status is None:
                raise
            return status
        status = str(data.get("status") or "")
        if status == "ERROR":
            raise LabelNotRefundable("the carrier refused the refund", carrier_message=status)
        log.info(
            "carrier.label.voided",
            extra={"event": "carrier.label.voided", "transaction_id": transaction_id},
        )
        return status

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
        """Register for track_updated webhooks and return the current state."""
        data = self._call(
            "track",
            lambda: self._sdk.tracking_status.create(
                carrier=carrier, tracking_number=tracking_number, metadata=metadata
            ),
        )
        return tracking_info(data, carrier, tracking_number)

    # --- purchase helpers ----------------------------------------------------------------------

    def _existing(self, rate: Rate, metadata: str) -> Label | None:
        return self._bought_with(rate) or self.find_label(metadata)

    def _bought_with(self, rate: Rate) -> Label | None:
        for data in self._transactions(rate=rate.rate_id):
            if mapping.transaction_rate_id(data) != rate.rate_id:
                continue  # a server that ignores the filter
            if data.get("status") == "SUCCESS" or data.get("status") in _PENDING:
                return self._settle(data, rate)
        return None

    def _resolve(self, rate: Rate, metadata: str) -> Label | None:
        """After an ambiguous purchase attempt: did that very rate get bought?"""
        try:
            found = self._bought_with(rate)
        except CarrierError as exc:
            raise AmbiguousPurchase(
                "label purchase outcome unknown and the lookup failed",
                carrier_message=exc.carrier_message or str(exc),
            ) from exc
        if found is not None:
            log.warning(
                "carrier.label.resolved",
                extra={"event": "carrier.label.resolved", "metadata": metadata},
            )
        return found

    def _settle(self, data: Json, rate: Rate) -> Label:
        for _ in range(self._config.max_attempts * 4):
            status = str(data.get("status") or "")
            if status not in _PENDING:
                break
            time.sleep(self._config.backoff_initial_seconds)
            tid = str(data.get("object_id") or "")
            data = self._call("lookup", lambda: self._sdk.transactions.get(tid))  # noqa: B023
        status = str(data.get("status") or "")
        if status == "SUCCESS":
            label = mapping.label_from_json(data, rate)
            log.info(
                "carrier.label.bought",
                extra={
                    "event": "carrier.label.bought",
                    "transaction_id": label.transaction_id,
                    "metadata": label.metadata,
                },
            )
            return label
        if status == "ERROR":
            text = mapping.messages_text(data.get("messages")) or "transaction failed"
            raise rejection("buy", text, None)
        raise CarrierUnavailable(f"label purchase still {status or 'unreadable'}")

    def _transactions(self, *, rate: str | None = None, status: Any = None) -> Iterator[Json]:
        for page in range(1, self._config.label_lookup_pages + 1):
            request = operations.ListTransactionsRequest(
                rate=rate,
                object_status=status,
                page=page,
                results=self._config.label_lookup_page_size,
            )
            data = self._call("lookup", lambda: self._sdk.transactions.list(request))  # noqa: B023
            results = data.get("results") or []
            yield from (r for r in results if isinstance(r, dict))
            if not results or not data.get("next"):
                return

    def _rate_of(self, data: Json, known: Rate | None) -> Rate:
        rate_id = mapping.transaction_rate_id(data)
        if known is not None and rate_id == known.rate_id:
            return known
        if not rate_id:
            raise UnexpectedResponse("transaction without a rate")
        return mapping.rate_from_json(self._call("lookup", lambda: self._sdk.rates.get(rate_id)))

    def _refund_status(self, transaction_id: str) -> str | None:
        data = self._call("void", lambda: self._sdk.refunds.list())
        for refund in reversed(data.get("results") or []):
            if isinstance(refund, dict) and refund.get("transaction") == transaction_id:
                if refund.get("status") in ("SUCCESS", "QUEUED", "PENDING"):
                    return str(refund["status"])
        return None

    def _fetch(self, url: str) -> bytes:
        response = self.session.get(url)
        if response.status_code >= 400:
            raise errors.SDKError("label file", response.status_code, response.text, response)
        return response.content

    # --- calling the SDK ----------------------------------------------------------------------

    def _call(self, op: Operation, fn: Callable[[], Any]) -> Json:
        return self._retry(op, lambda: self._decoded(fn))

    def _decoded(self, fn: Callable[[], Any]) -> Json:
        """The SDK's answer as JSON; when its models cannot read a 2xx body, the body itself."""
        try:
            return as_json(fn())
        except (ValueError, KeyError, TypeError, AttributeError):
            raw = self.session.last_json() if isinstance(self.session, TimeoutSession) else None
            if raw is None:
                raise
            log.warning(
                "carrier.sdk.decode_fallback", extra={"event": "carrier.sdk.decode_fallback"}
            )
            return raw

    def _retry(self, op: Operation, fn: Callable[[], T]) -> T:
        try:
            for attempt in self._policy.retrying(op):
                with attempt:
                    return self._guard(op, fn)
        except TransientError as exc:
            raise unavailable(op, exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _guard(self, op: Operation, fn: Callable[[], T]) -> T:
        """Run one SDK call; SDK, HTTP and shape failures become typed errors."""
        try:
            return fn()
        except errors.SDKError as exc:
            raise from_sdk_error(op, exc) from exc
        except (requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientError(f"{type(exc).__name__}", ambiguous=True) from exc
        except requests.ConnectionError as exc:
            raise TransientError("connection error", ambiguous=True) from exc
        except CarrierError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UnexpectedResponse(
                f"{op}: unreadable carrier answer", carrier_message=str(exc)[:300]
            ) from exc
