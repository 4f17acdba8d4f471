"""Inbound return labels bought from the RR (issue 17 §1): rates, card or vendor pays, the
return flag and the RR number on the label, tracking registered by itself, crash-safe."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.jobs.service import job_context
from freight.shipments.models import Shipment
from freight.shipments.purchase import buy_label
from tests.integration.shipments.flow import API, BERLIN, PARCEL, Flow


def _post(flow: Flow, rr: str, parcel: dict[str, Any] | None = None) -> Any:
    return flow.client.post(
        f"{API}/track/{rr}/inbound-label", json={"parcel": parcel or PARCEL},
        headers=flow.customer(rr),
    )  # fmt: skip


def _get(flow: Flow, rr: str) -> dict[str, Any]:
    resp = flow.client.get(f"{API}/track/{rr}/inbound-label", headers=flow.customer(rr))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _sandbox_shipment(flow: Flow, rate_shipment: str) -> dict[str, Any]:
    from carriers.sandbox.store import SandboxStore

    store = SandboxStore(str(flow.settings.data_dir / "sandbox-carrier.db"))
    try:
        found = store.get("shipment", rate_shipment)
    finally:
        store.close()
    assert found is not None
    return dict(found)


def _labels(session: Session) -> int:
    stmt = select(func.count()).select_from(Shipment).where(Shipment.tracking_number.is_not(None))
    return session.scalar(stmt) or 0


def _paid_label(flow: Flow) -> tuple[str, dict[str, Any]]:
    rr = flow.open_rr(return_address=BERLIN)
    resp = _post(flow, rr)
    assert resp.status_code == 200, resp.text
    quoted = resp.json()
    assert flow.accept(quoted["quote"]["id"], rr).status_code == 200
    flow.drain()
    return rr, quoted


def test_customer_outside_north_america_pays_by_card_and_gets_a_return_label(
    flow: Flow, session: Session
) -> None:
    rr = flow.open_rr(return_address=BERLIN)
    resp = _post(flow, rr)
    assert resp.status_code == 200, resp.text
    quoted = resp.json()
    assert quoted["state"] == "quoted"
    assert quoted["freight_terms"]["payer"] == "customer"
    assert quoted["freight_terms"]["rule"] == "P-INLABEL-PAY"
    assert len(quoted["rates"]) >= 1
    assert quoted["quote"]["amount"] == quoted["chosen"]["amount"]
    assert quoted["reference"] == rr
    assert _labels(session) == 0  # nothing bought before the card is held

    assert flow.accept(quoted["quote"]["id"], rr).status_code == 200
    flow.drain()
    done = _get(flow, rr)
    assert done["state"] == "labeled"
    assert done["tracking_number"]
    assert done["quote"]["payment"]["status"] == "captured"
    # Registered as the RR's inbound tracking: the customer typed nothing.
    track = flow.client.get(f"{API}/track/{rr}", headers=flow.customer(rr)).json()
    assert [s["tracking_number"] for s in track["inbound"]] == [done["tracking_number"]]
    assert flow.rr(rr)["status"] == "issued"  # waits for the first carrier scan
    # Shippo's return flag and the RR number in the reference fields.
    row = session.get(Shipment, done["shipment_id"])
    assert row is not None
    extra = _sandbox_shipment(flow, row.carrier_shipment_id or "")["extra"]
    assert extra["is_return"] is True
    assert extra["rma_number"] == {"value": rr}
    assert extra["reference_1"] == rr
    # The carton label PDF includes the carrier label, which prints the RR number.
    pdf = flow.client.get(f"{API}/track/{rr}/carton-label", headers=flow.customer(rr))
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    assert len(pages) == 2
    label_text = pages[1].extract_text()
    assert "RETURN LABEL" in label_text
    assert f"RMA: {rr}" in label_text
    assert done["tracking_number"] in label_text


def test_vendor_pays_where_the_region_is_listed(flow: Flow) -> None:
    flow.settings.vendor_paid_inbound = ["north_america"]
    rr = flow.open_rr()
    resp = _post(flow, rr)
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "purchasing"
    assert resp.json()["quote"] is None
    assert resp.json()["freight_terms"]["payer"] == "vendor"
    flow.drain()
    done = _get(flow, rr)
    assert done["state"] == "labeled"
    assert done["tracking_number"]
    assert flow.payments.operations() == []  # nothing charged


def test_rerun_of_the_job_and_a_second_request_buy_one_label_and_charge_once(
    flow: Flow, session: Session
) -> None:
    rr, quoted = _paid_label(flow)
    first = _get(flow, rr)
    with flow.factory.begin() as s:
        buy_label(s, job_context(flow.settings, flow.clock.now), shipment_id=first["shipment_id"])
    again = _post(flow, rr)
    assert again.status_code == 200
    assert again.json()["shipment_id"] == first["shipment_id"]
    assert again.json()["tracking_number"] == first["tracking_number"]
    assert len(flow.labels_for(first["shipment_id"])) == 1
    assert len(flow.payments.operations("capture")) == 1
    assert _labels(session) == 1


def test_rr_not_awaiting_its_unit_is_409_naming_rr_number(flow: Flow, session: Session) -> None:
    rr = flow.open_rr(return_address=BERLIN)
    flow.receive(rr)
    resp = _post(flow, rr)
    assert resp.status_code == 409
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["field"] == "rr_number"
    assert resp.json()["rule"] == "P-INLABEL"
    assert _labels(session) == 0


def test_parcel_over_carrier_limits_is_422_naming_parcel(flow: Flow, session: Session) -> None:
    rr = flow.open_rr(return_address=BERLIN)
    resp = _post(flow, rr, PARCEL | {"weight": 5000})
    assert resp.status_code == 422, resp.text
    assert "parcel" in resp.text
    assert _labels(session) == 0
    assert _get(flow, rr)["state"] == "none"
    assert flow.payments.operations() == []


def test_declined_card_buys_nothing_and_the_quote_stays_open(flow: Flow, session: Session) -> None:
    rr = flow.open_rr(return_address=BERLIN)
    quoted = _post(flow, rr).json()
    resp = flow.accept(quoted["quote"]["id"], rr, pm="pm_card_chargeDeclined")
    assert resp.status_code == 402
    assert resp.headers["content-type"].startswith("application/problem+json")
    flow.drain()
    assert _get(flow, rr)["state"] == "quoted"
    assert _labels(session) == 0
    assert flow.payments.operations("capture") == []


def test_an_expired_quote_lapses_and_a_new_request_re_rates(flow: Flow) -> None:
    rr = flow.open_rr(return_address=BERLIN)
    first = _post(flow, rr).json()
    flow.clock.now += timedelta(days=flow.settings.quote_validity_days, minutes=1)
    assert _get(flow, rr)["state"] == "quote_lapsed"
    second = _post(flow, rr).json()
    assert second["state"] == "quoted"
    assert second["quote"]["id"] != first["quote"]["id"]
    assert flow.accept(first["quote"]["id"], rr).status_code == 409
