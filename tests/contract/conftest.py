"""Sandbox + real SDK adapter, wired in process, with a controllable clock and webhook log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from carriers.config import CarrierConfig
from carriers.factory import in_process_carrier
from carriers.sandbox.app import SandboxApp
from carriers.sandbox.http import Request, Response
from carriers.sandbox.store import SandboxStore
from carriers.sandbox.transport import IN_PROCESS_BASE_URL
from carriers.shippo.adapter import ShippoCarrier
from carriers.types import Address, Parcel, RateRequest

FAST = CarrierConfig(
    timeout_seconds=2.0,
    max_attempts=5,
    max_retry_seconds=10.0,
    backoff_initial_seconds=0.0005,
    backoff_max_seconds=0.004,
    queued_poll_seconds=0.05,
)
DEPOT = Address(
    "Repair Depot",
    "410 East Plumeria Drive",
    "San Jose",
    "95134",
    "US",
    state="CA",
    company="AltiGen",
    phone="+1 408 597 9000",
)
CUSTOMER = Address(
    "Ann Customer", "20 W 34th St", "New York", "10001", "US", state="NY", email="ann@example.com"
)
BOX = Parcel(Decimal(12), Decimal(9), Decimal(4), "in", Decimal("3.2"), "lb")


class Clock:
    """A settable clock for the sandbox."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordingApp(SandboxApp):
    """The sandbox, remembering every API exchange for schema checks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exchanges: list[tuple[Request, Response]] = []

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        self.exchanges.append((request, response))
        return response


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def webhooks() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def sandbox(clock: Clock, webhooks: list[tuple[str, dict[str, Any]]]) -> RecordingApp:
    return RecordingApp(
        SandboxStore(),
        now=clock,
        webhook_url="http://receiver.test/webhooks/shippo",
        background_webhooks=False,
        webhook_sender=lambda url, payload: webhooks.append((url, payload)),
        seed=1234,
    )


@pytest.fixture
def carrier(sandbox: RecordingApp) -> ShippoCarrier:
    return in_process_carrier(FAST, sandbox)


def rate_request(
    metadata: str = "shipment:1", *, to: Address = CUSTOMER, parcel: Parcel = BOX
) -> RateRequest:
    """A domestic rate request from the depot."""
    return RateRequest(DEPOT, to, (parcel,), metadata=metadata)


def control(carrier: ShippoCarrier, method: str, path: str, body: Any = None) -> Any:
    """Call a sandbox path (control or raw API) through the carrier's own session."""
    response = carrier.session.request(
        method,
        f"{IN_PROCESS_BASE_URL}{path}",
        json=body,
        headers={"Authorization": "ShippoToken shippo_test_x"},
    )
    return response.json() if response.content else None
