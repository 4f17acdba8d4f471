"""Outbound shipments as staff see them (SPEC §2 P-NA, P-HOURS, P-INSURE, P-EXPORT)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.jobs.models import Job
from freight.shipments.models import Shipment
from tests.integration.shipments.flow import API, PARCEL, TORONTO, Flow


def _shipments(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Shipment)) or 0


def test_na_return_is_labeled_in_the_background_and_rr_shipped(flow: Flow) -> None:
    rr = flow.ready_rr()
    shipment = flow.outbound(rr)
    assert shipment["state"] == "purchasing"
    assert shipment["label"] is None
    assert shipment["quote"] is None
    assert shipment["freight_terms"]["rule"] == "P-NA"
    assert shipment["purpose"] == "repair_return"
    assert shipment["carrier"] == "usps"
    assert shipment["service"] == "Ground Advantage"
    assert "cheapest" in shipment["rate_selection"]
    # Monday 09:00 in San Jose is inside business hours: ship today (P-HOURS).
    assert shipment["ship_date"].startswith("2026-11-02T17:00")
    assert flow.rr(rr)["status"] == "ready_to_ship"

    assert flow.drain() >= 1
    done = flow.shipment(shipment["id"])
    assert done["state"] == "labeled"
    assert done["tracking_number"]
    assert done["cost"]["currency"] == "USD"
    assert done["label"] == {
        "url": f"/api/v1/shipments/{shipment['id']}/label",
        "format": "PDF_4x6",
    }
    rr_view = flow.rr(rr)
    assert rr_view["status"] == "shipped"
    assert rr_view["history"][-1]["rule"] == "P-NA"
    assert [s["id"] for s in rr_view["shipments"]] == [shipment["id"]]
    pdf = flow.client.get(f"{API}/shipments/{shipment['id']}/label", headers=flow.staff)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert flow.payments.operations() == []  # P-NA: the customer is never charged


def test_na_label_job_run_twice_buys_one_label(flow: Flow) -> None:
    rr = flow.ready_rr(return_address=TORONTO)
    shipment = flow.outbound(rr)
    flow.drain()
    first = flow.shipment(shipment["id"])
    from freight.jobs.service import job_context
    from freight.shipments.purchase import buy_label

    with flow.factory.begin() as s:
        buy_label(s, job_context(flow.settings, flow.clock.now), shipment_id=shipment["id"])
    again = flow.shipment(shipment["id"])
    assert again["tracking_number"] == first["tracking_number"]
    assert [t["tracking_number"] for t in flow.labels_for(shipment["id"])] == [
        first["tracking_number"]
    ]
    # Canada is North America (vendor pays) but crosses a border: customs are declared.
    assert first["customs"]["contents_type"] == "RETURN_MERCHANDISE"
    assert first["customs"]["hs_code"] == "8517.62"


def test_special_requirements_pick_the_named_service_and_are_shown(flow: Flow) -> None:
    rr = flow.ready_rr(special_requirements="Please ship via UPS 2nd Day Air, fragile")
    shipment = flow.outbound(rr)
    assert (shipment["carrier"], shipment["service"]) == ("ups", "2nd Day Air")
    assert shipment["special_requirements"] == "Please ship via UPS 2nd Day Air, fragile"


def test_insurance_only_when_requested_for_declared_value(flow: Flow) -> None:
    plain = flow.outbound(flow.ready_rr())
    assert plain["insurance"] is None
    rr = flow.ready_rr(
        insurance_requested=True, declared_value={"amount": "450.00", "currency": "USD"}
    )
    insured = flow.outbound(rr)
    assert insured["insurance"] == {"amount": "450.00", "currency": "USD"}


def test_ship_date_outside_business_hours_is_next_opening(flow: Flow) -> None:
    rr = flow.ready_rr()
    flow.clock.now = flow.clock.now.replace(hour=3)  # Monday 19:00 the day before in San Jose
    shipment = flow.outbound(rr)
    assert shipment["ship_date"].startswith("2026-11-02T16:00")  # 08:00 PST


def test_rr_not_ready_to_ship_is_409_naming_the_state(flow: Flow, session: Session) -> None:
    rr = flow.open_rr()
    resp = flow.request(rr)
    assert resp.status_code == 409
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "issued" in resp.json()["detail"]
    assert _shipments(session) == 0


def test_zero_weight_parcel_is_422_naming_the_field(flow: Flow, session: Session) -> None:
    rr = flow.ready_rr()
    resp = flow.request(rr, parcel=PARCEL | {"weight": 0})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["errors"]] == ["parcel.weight"]
    assert _shipments(session) == 0


def test_second_request_while_one_is_in_flight_is_409(flow: Flow, session: Session) -> None:
    rr = flow.ready_rr()
    flow.outbound(rr)
    again = flow.request(rr)
    assert again.status_code == 409
    assert "in flight" in again.json()["detail"]
    assert _shipments(session) == 1
    labels = select(func.count()).select_from(Job).where(Job.task == "shipments.buy_label")
    assert session.scalar(labels) == 1


def test_export_restricted_destination_is_refused_before_rating(
    flow: Flow, session: Session
) -> None:
    rr = flow.ready_rr()
    with flow.factory.begin() as s:  # the list changed after the RR was opened
        from freight.repairs.models import RepairRequest

        row = s.scalar(select(RepairRequest).where(RepairRequest.rr_number == rr))
        assert row is not None
        row.return_address = row.return_address | {"country": "IR"}
    resp = flow.request(rr)
    assert resp.status_code == 422
    assert resp.json()["rule"] == "P-EXPORT"
    assert resp.json()["errors"][0]["field"] == "return_address.country"
    assert _shipments(session) == 0


def test_missing_return_country_is_422(flow: Flow, session: Session) -> None:
    rr = flow.ready_rr()
    with flow.factory.begin() as s:
        from freight.repairs.models import RepairRequest

        row = s.scalar(select(RepairRequest).where(RepairRequest.rr_number == rr))
        assert row is not None
        row.return_address = {k: v for k, v in row.return_address.items() if k != "country"}
    resp = flow.request(rr)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "return_address.country"
    assert _shipments(session) == 0


def test_rejected_unit_goes_back_to_sender(flow: Flow) -> None:
    rr = flow.open_rr()
    flow.receive(rr, rr_marked_on_carton=False)
    shipment = flow.outbound(rr)
    assert shipment["purpose"] == "return_to_sender"
    flow.drain()
    assert flow.shipment(shipment["id"])["state"] == "labeled"
    assert flow.rr(rr)["status"] == "shipped"


def test_void_refunds_the_label_and_the_rr_can_ship_again(flow: Flow) -> None:
    rr = flow.ready_rr()
    shipment = flow.outbound(rr)
    flow.drain()
    resp = flow.client.post(f"{API}/shipments/{shipment['id']}/void", headers=flow.staff)
    assert resp.status_code == 200, resp.text
    # Asked for, not done: the carrier answers QUEUED and may still refuse.
    assert (resp.json()["state"], resp.json()["refund_status"]) == ("void_pending", "QUEUED")
    assert flow.rr(rr)["status"] == "shipped"
    flow.drain()  # the refund check: the sandbox refunds it
    view = flow.shipment(shipment["id"])
    assert (view["state"], view["refund_status"]) == ("voided", "SUCCESS")
    assert flow.rr(rr)["status"] == "ready_to_ship"
    twice = flow.client.post(f"{API}/shipments/{shipment['id']}/void", headers=flow.staff)
    assert twice.status_code == 409
    second = flow.outbound(rr)
    assert second["id"] != shipment["id"]


def test_unknown_shipment_is_404(flow: Flow) -> None:
    resp = flow.client.get(f"{API}/shipments/shp_nope", headers=flow.staff)
    assert resp.status_code == 404


def test_customer_is_emailed_the_quote_and_the_shipping_notice(flow: Flow) -> None:
    rr = flow.international_rr()
    flow.outbound(rr)
    flow.drain()
    outbox = flow.settings.data_dir / "outbox"
    quote_mail = [p.read_text() for p in outbox.glob("*.eml") if "quote" in p.read_text().lower()]
    assert any(rr in m for m in quote_mail), sorted(p.name for p in outbox.glob("*.eml"))

    na = flow.ready_rr()
    flow.outbound(na)
    flow.drain()
    shipped = flow.shipment(flow.rr(na)["shipments"][-1]["id"])
    mails = [p.read_text() for p in outbox.glob("*.eml")]
    assert any(shipped["tracking_number"] in m for m in mails)


def test_simultaneous_requests_for_one_rr_make_one_shipment(flow: Flow, session: Session) -> None:
    """Staff double-clicking (or two desks at once): the requests race in the database, not in
    Python; exactly one shipment and one label job, the rest are told it is in flight."""
    import asyncio

    import httpx

    rr = flow.ready_rr()
    app = flow.client.app
    url = f"{API}/repair-requests/{rr}/outbound-shipments"

    async def race() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *(client.post(url, json={"parcel": PARCEL}, headers=flow.staff) for _ in range(6))
            )
        return sorted(a.status_code for a in answers)

    assert asyncio.run(race()) == [201] + [409] * 5
    assert _shipments(session) == 1
    labels = select(func.count()).select_from(Job).where(Job.task == "shipments.buy_label")
    assert session.scalar(labels) == 1


def _spy_carrier(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every call the adapter makes to the in-process sandbox carrier: (method, path)."""
    from urllib.parse import urlsplit

    from carriers.sandbox.transport import WsgiTransport

    calls: list[tuple[str, str]] = []
    real = WsgiTransport.send

    def spy(self: WsgiTransport, request: Any, **kw: Any) -> Any:
        calls.append((str(request.method), urlsplit(str(request.url)).path.rstrip("/")))
        return real(self, request, **kw)

    monkeypatch.setattr(WsgiTransport, "send", spy)
    return calls


def test_a_first_purchase_buys_at_once_without_looking_up(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No earlier run of the job, so no label can exist yet: one carrier call buys it."""
    shipment = flow.outbound(flow.ready_rr())
    calls = _spy_carrier(monkeypatch)
    flow.drain()
    assert flow.shipment(shipment["id"])["state"] == "labeled"
    purchases = [c for c in calls if c[1].endswith("/transactions")]
    assert purchases == [("POST", purchases[0][1])]  # bought once, listed never
    assert len(flow.labels_for(shipment["id"])) == 1


def test_a_rerun_after_a_crash_finds_the_label_bought_before_it(
    flow: Flow, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run bought the label and died before recording it: the rerun (attempt 2) looks
    the label up by the shipment's metadata and records that one instead of buying again."""
    from sqlalchemy import update

    from freight.shipments.rating import label_metadata, rate_from

    shipment = flow.outbound(flow.ready_rr())
    row = session.get(Shipment, shipment["id"])
    assert row is not None
    lost = flow.carrier.buy_label(
        rate_from(row.details["rate"]), metadata=label_metadata(shipment["id"])
    )  # the purchase whose answer never reached us
    session.execute(
        update(Job).where(Job.task == "shipments.buy_label").values(attempts=1)
    )  # a first run was claimed, then its worker was killed
    session.commit()
    calls = _spy_carrier(monkeypatch)
    flow.drain()
    done = flow.shipment(shipment["id"])
    assert done["tracking_number"] == lost.tracking_number
    assert len(flow.labels_for(shipment["id"])) == 1
    assert not [c for c in calls if c[0] == "POST" and c[1].endswith("/transactions")]
