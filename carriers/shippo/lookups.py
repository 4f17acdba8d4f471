"""The adapter's look-ups and guards around a purchase: which labels exist for our rates, how a
QUEUED one settles, how old a rate may be, which carrier a rate's account belongs to."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from shippo.models import errors, operations

from carriers.config import CarrierConfig
from carriers.errors import (
    AmbiguousPurchase,
    CarrierError,
    CarrierUnavailable,
    LabelPending,
    LiveModeRequired,
    RateNotFound,
    UnexpectedResponse,
)
from carriers.shippo import mapping
from carriers.shippo.calls import SdkCaller
from carriers.shippo.classify import rejection
from carriers.shippo.session import TimeoutSession
from carriers.types import Label, Rate, Refund

log = logging.getLogger("carriers.shippo")
Json = dict[str, Any]
PENDING = ("QUEUED", "WAITING")
RATE_LIFETIME = timedelta(days=7)  # "only rates less than 7 days old can be purchased"
RATE_MARGIN = timedelta(hours=1)  # a rate this close to expiry is re-rated, not raced


class LabelLookups(SdkCaller):
    """Helpers shared by the purchase, refund and document calls of ShippoCarrier."""

    _config: CarrierConfig
    _sdk: Any
    _now: Any
    _tokens: dict[str, str]

    def _token(self, rate: Rate) -> str:
        """The carrier token ("dhl_ecommerce") from the rate's carrier account, not from its
        display name ("Deutsche Post DHL"); accounts are looked up once per process."""
        account = rate.carrier_account
        if not account:
            return rate.carrier
        if account not in self._tokens:
            try:
                data = self._call("rate", lambda: self._sdk.carrier_accounts.get(account))
            except CarrierUnavailable as exc:
                log.warning(
                    "carrier.account.unavailable",
                    extra={"event": "carrier.account.unavailable", "error": str(exc)},
                )
                return rate.carrier  # the display name's token, this time only
            except CarrierError:
                data = {}  # an account we may not read: its display name's token, from now on
            self._tokens[account] = str(data.get("carrier") or rate.carrier).lower()
        return self._tokens[account]

    def _check_age(self, rate: Rate) -> None:
        if (
            rate.created_at is not None
            and self._now() - rate.created_at > RATE_LIFETIME - RATE_MARGIN
        ):
            raise RateNotFound(
                f"rate {rate.rate_id} has expired (rates are sold for 7 days); re-rate"
            )

    def _find(self, rate_ids: Iterable[str], rate: Rate | None) -> Label | None:
        """GET /transactions?rate=… for each id (the only filter Shippo offers that ties a
        label to our purchase); QUEUED/WAITING count as bought."""
        for rate_id in rate_ids:
            for data in self._transactions(rate_id):
                if mapping.transaction_rate_id(data) != rate_id:
                    continue  # a server that ignores the filter
                status = data.get("status")
                if status == "SUCCESS" or status in PENDING:
                    known = rate if rate is not None and rate.rate_id == rate_id else None
                    return self._settle(data, known)
        return None

    def _resolve(self, lookup: list[str], rate: Rate, metadata: str) -> Label | None:
        """After an ambiguous purchase attempt: did any of these rates get bought?"""
        try:
            found = self._find(lookup, rate)
        except LabelPending:
            raise
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

    def _settle(self, data: Json, rate: Rate | None, *, poll: bool = True) -> Label:
        """A Transaction → our Label: poll a QUEUED one briefly, then hand back LabelPending."""
        deadline = time.monotonic() + (self._config.queued_poll_seconds if poll else 0)
        pause = max(self._config.backoff_initial_seconds, 0.0005)
        while str(data.get("status") or "") in PENDING and time.monotonic() + pause <= deadline:
            time.sleep(pause)
            pause = min(pause * 2, 4.0)
            tid = str(data.get("object_id") or "")
            data = self._call("lookup", lambda: self._sdk.transactions.get(tid))  # noqa: B023
        status, tid = str(data.get("status") or ""), str(data.get("object_id") or "")
        if status in PENDING:
            raise LabelPending(tid, status, rate_id=mapping.transaction_rate_id(data))
        if status == "ERROR":
            text = mapping.messages_text(data.get("messages")) or "transaction failed"
            if mapping.temporary_sources(data.get("messages")):
                raise CarrierUnavailable(
                    "the carrier did not answer; buy again later", carrier_message=text
                )
            raise rejection("buy", text, None)
        if status != "SUCCESS":
            raise CarrierUnavailable(f"label purchase is {status or 'unreadable'}")
        self._live(data.get("test") is True, "label")
        label = mapping.label_from_json(data, self._rate_of(data, rate))
        log.info(
            "carrier.label.bought",
            extra={"event": "carrier.label.bought", "transaction_id": label.transaction_id,
                   "metadata": label.metadata},
        )  # fmt: skip
        return label

    def _transactions(self, rate_id: str) -> list[Json]:
        request = operations.ListTransactionsRequest(rate=rate_id, page=1, results=25)
        data = self._call("lookup", lambda: self._sdk.transactions.list(request))
        return [r for r in data.get("results") or [] if isinstance(r, dict)]

    def _rate_of(self, data: Json, known: Rate | None) -> Rate:
        rate_id = mapping.transaction_rate_id(data)
        if known is not None and rate_id == known.rate_id:
            return known
        if not rate_id:
            raise UnexpectedResponse("transaction without a rate")
        return mapping.rate_from_json(self._call("lookup", lambda: self._sdk.rates.get(rate_id)))

    def _refund_for(self, transaction_id: str) -> Refund | None:
        """The refund already asked for this label (the list has no filters: newest pages)."""
        data = self._call("void", lambda: self._sdk.refunds.list())
        for item in data.get("results") or []:
            if isinstance(item, dict) and item.get("transaction") == transaction_id:
                refund = mapping.refund_from_json(item)
                if refund.status != "ERROR":
                    return refund
        return None

    def _live(self, test: bool, what: str) -> None:
        if test and self._config.live_only:
            raise LiveModeRequired(
                f"the carrier answered with a test-mode {what}; production needs a live API key"
            )

    def _long_calls(self) -> Any:
        if isinstance(self.session, TimeoutSession):
            return self.session.timeout(self._config.purchase_timeout_seconds)
        return nullcontext()

    def _fetch(self, url: str) -> bytes:
        response = self.session.get(url)
        if response.status_code >= 400:
            raise errors.SDKError("label file", response.status_code, response.text, response)
        return response.content
