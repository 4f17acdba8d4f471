"""Test helpers for the outbound flow: RRs made ready to ship, outbound requests, the
background step run inline, customer tokens, and the sandboxes' own records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from freight.auth.rules import issue_customer_token
from freight.db import engine_for
from freight.jobs.service import drain, job_context
from freight.payments.sandbox import SandboxPayments
from freight.ports import carrier_port, payments_port
from freight.settings import Settings
from tests.integration.conftest import Clock, rr_payload

API = "/api/v1"
PARCEL = {
    "length": 12,
    "width": 9,
    "height": 4,
    "distance_unit": "in",
    "weight": 3,
    "mass_unit": "lb",
}
BERLIN = {
    "name": "Grace Hopper",
    "street1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
    "phone": "+49 30 1234",
}
TORONTO = {
    "name": "Alan Turing",
    "street1": "100 Queen St W",
    "city": "Toronto",
    "state": "ON",
    "postal_code": "M5H 2N2",
    "country": "CA",
    "phone": "+1 416 555 0100",
}


@dataclass
class Flow:
    client: TestClient
    staff: dict[str, str]
    settings: Settings
    clock: Clock

    @property
    def factory(self) -> sessionmaker[Session]:
        return sessionmaker(bind=engine_for(self.settings.db_url), expire_on_commit=False)

    @property
    def payments(self) -> SandboxPayments:
        port = payments_port(self.settings)
        assert isinstance(port, SandboxPayments)
        return port

    @property
    def carrier(self) -> Any:
        return carrier_port(self.settings)

    def labels_for(self, shipment_id: str) -> list[dict[str, Any]]:
        """Every label (transaction) the sandbox carrier sold for this shipment."""
        from carriers.sandbox.store import SandboxStore

        store = SandboxStore(str(self.settings.data_dir / "sandbox-carrier.db"))
        try:
            txs = store.find("transaction")
        finally:
            store.close()
        return [t for t in txs if t.get("metadata") == f"shipment:{shipment_id}"]

    def open_rr(self, **over: Any) -> str:
        resp = self.client.post(
            f"{API}/repair-requests", json=rr_payload(**over), headers=self.staff
        )
        assert resp.status_code == 201, resp.text
        return str(resp.json()["rr_number"])

    def receive(self, rr: str, **inspection: Any) -> dict[str, Any]:
        serial = self.rr(rr)["serial_number"]
        body = {
            "rr_marked_on_carton": True,
            "freight_collect": False,
            "visible_damage": False,
            "serial_number_seen": serial,
        } | inspection
        resp = self.client.post(
            f"{API}/repair-requests/{rr}/receipt", json=body, headers=self.staff
        )
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def move(self, rr: str, status: str) -> None:
        resp = self.client.post(
            f"{API}/repair-requests/{rr}/status",
            json={"status": status, "note": "test"},
            headers=self.staff,
        )
        assert resp.status_code == 200, resp.text

    def ready_rr(self, **over: Any) -> str:
        """An RR received, repaired and ready to ship."""
        rr = self.open_rr(**over)
        self.receive(rr)
        self.move(rr, "in_repair")
        self.move(rr, "ready_to_ship")
        return rr

    def international_rr(self, **over: Any) -> str:
        return self.ready_rr(return_address=BERLIN, **over)

    def request(self, rr: str, parcel: dict[str, Any] | None = None, **extra: Any) -> Any:
        body = {"parcel": parcel or PARCEL} | extra
        return self.client.post(
            f"{API}/repair-requests/{rr}/outbound-shipments", json=body, headers=self.staff
        )

    def outbound(self, rr: str, **extra: Any) -> dict[str, Any]:
        resp = self.request(rr, **extra)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def drain(self) -> int:
        return drain(self.factory, lambda: job_context(self.settings, self.clock.now))

    def customer(self, rr: str) -> dict[str, str]:
        token = issue_customer_token(
            rr, secret=self.settings.secret_key, now=self.clock.now, hours=24
        )
        return {"Authorization": f"Bearer {token}"}

    def accept(self, quote_id: str, rr: str, pm: str = "pm_card_visa") -> Any:
        return self.client.post(
            f"{API}/quotes/{quote_id}/accept",
            json={"payment_method": pm},
            headers=self.customer(rr),
        )

    def shipment(self, shipment_id: str) -> dict[str, Any]:
        resp = self.client.get(f"{API}/shipments/{shipment_id}", headers=self.staff)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def rr(self, rr: str) -> dict[str, Any]:
        resp = self.client.get(f"{API}/repair-requests/{rr}", headers=self.staff)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())


@pytest.fixture
def flow(client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock) -> Flow:
    return Flow(client=client, staff=staff, settings=settings, clock=clock)


FlowFactory = Callable[..., Flow]
