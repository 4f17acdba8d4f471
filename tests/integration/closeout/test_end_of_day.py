"""End of day at the shipping desk (issue 17 §3): manifests per carrier, pickups in business
hours, the console summary; refusals buy or book nothing; reruns make one of each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from freight.jobs.models import Job
from tests.integration.shipments.flow import API, Flow

TODAY = "2026-11-02"  # the clock: Monday 09:00 in San Jose
CARRIERS = {"usps": "", "ups": "Please ship via UPS", "fedex": "ship via FedEx"}


def _labeled(flow: Flow, carrier: str = "usps") -> dict[str, Any]:
    shipment = flow.outbound(flow.ready_rr(special_requirements=CARRIERS[carrier]))
    flow.drain()
    done = flow.shipment(shipment["id"])
    assert (done["state"], done["carrier"]) == ("labeled", carrier)
    return done


def _manifest(flow: Flow, carrier: str, day: str = TODAY) -> Any:
    return flow.client.post(
        f"{API}/manifests", json={"carrier": carrier, "ship_date": day}, headers=flow.staff
    )


def _day(flow: Flow) -> dict[str, Any]:
    resp = flow.client.get(f"{API}/end-of-day", params={"date": TODAY}, headers=flow.staff)
    assert resp.status_code == 200, resp.text
    return {c["carrier"]: c for c in resp.json()["carriers"]}


def _sandbox(flow: Flow, kind: str) -> list[dict[str, Any]]:
    from carriers.sandbox.store import SandboxStore

    store = SandboxStore(str(flow.settings.data_dir / "sandbox-carrier.db"))
    try:
        return store.find(kind)
    finally:
        store.close()


def _pickup(flow: Flow, carrier: str, start: str, end: str) -> Any:
    body = {"carrier": carrier, "requested_start_time": start, "requested_end_time": end}
    return flow.client.post(f"{API}/pickups", json=body, headers=flow.staff)


def test_a_day_on_three_carriers_closes_into_one_manifest_each(flow: Flow) -> None:
    labels = {c: _labeled(flow, c) for c in CARRIERS}
    day = _day(flow)
    counts = {c: (d["waiting"], d["manifested"]) for c, d in day.items()}
    assert counts == dict.fromkeys(CARRIERS, (1, 0))
    for carrier in CARRIERS:
        resp = _manifest(flow, carrier)
        assert resp.status_code == 201, resp.text
        assert resp.json()["state"] == "pending"
        assert resp.json()["labels"] == 1
    flow.drain()
    day = _day(flow)
    for carrier, label in labels.items():
        manifests = day[carrier]["manifests"]
        assert [m["state"] for m in manifests] == ["closed"]
        assert day[carrier]["manifested"] == 1
        assert day[carrier]["labels"][0]["tracking_number"] == label["tracking_number"]
        pdf = flow.client.get(manifests[0]["document_url"], headers=flow.staff)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
    assert len(_sandbox(flow, "manifest")) == 3


def test_a_label_bought_after_the_manifest_goes_into_the_next_one(flow: Flow) -> None:
    first = _labeled(flow)
    assert _manifest(flow, "usps").status_code == 201
    flow.drain()
    assert _manifest(flow, "usps").status_code == 422  # nothing left for a second one
    later = _labeled(flow)
    second = _manifest(flow, "usps")
    assert second.status_code == 201
    flow.drain()
    assert second.json()["transaction_ids"] == [later_tx(flow, later)]
    day = _day(flow)["usps"]
    assert [m["labels"] for m in day["manifests"]] == [1, 1]
    assert day["manifested"] == 2
    assert first["id"] != later["id"]


def later_tx(flow: Flow, shipment: dict[str, Any]) -> str:
    from freight.shipments.models import Shipment

    with flow.factory() as s:
        row = s.get(Shipment, shipment["id"])
        assert row is not None
        assert row.transaction_id
        return row.transaction_id


def test_manifest_job_rerun_after_a_crash_makes_one_manifest(flow: Flow) -> None:
    _labeled(flow)
    manifest = _manifest(flow, "usps").json()
    flow.drain()
    with flow.factory.begin() as s:  # as if the job ran again after its answer was lost
        from freight.closeout.models import Manifest

        row = s.get(Manifest, manifest["id"])
        assert row is not None
        row.state = "pending"
        s.execute(update(Job).where(Job.task == "closeout.create_manifest").values(attempts=1))
    from freight.closeout.service import create_manifest
    from freight.jobs.service import job_context

    with flow.factory.begin() as s:
        ctx = job_context(flow.settings, flow.clock.now)
        ctx.attempt = 2
        create_manifest(s, ctx, manifest_id=manifest["id"])
    assert len(_sandbox(flow, "manifest")) == 1
    assert _day(flow)["usps"]["manifests"][0]["state"] == "closed"


def test_manifest_refusals_name_the_field_and_send_nothing(flow: Flow) -> None:
    empty = _manifest(flow, "usps")
    assert empty.status_code == 422
    assert empty.headers["content-type"].startswith("application/problem+json")
    assert empty.json()["errors"][0]["field"] == "carrier"
    _labeled(flow)
    future = _manifest(flow, "usps", "2026-11-03")
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "ship_date"
    flow.drain()
    assert _sandbox(flow, "manifest") == []


def test_pickup_inside_business_hours_is_booked_once(flow: Flow) -> None:
    _labeled(flow, "ups")
    resp = _pickup(flow, "ups", "2026-11-02T14:00:00-08:00", "2026-11-02T16:00:00-08:00")
    assert resp.status_code == 201, resp.text
    again = _pickup(flow, "ups", "2026-11-02T14:00:00-08:00", "2026-11-02T16:00:00-08:00")
    assert again.status_code == 200
    assert again.json()["id"] == resp.json()["id"]
    flow.drain()
    flow.drain()
    pickup = _day(flow)["ups"]["pickup"]
    assert pickup["state"] == "confirmed"
    assert pickup["confirmation_code"]
    assert pickup["confirmed_start_time"].startswith("2026-11-02T22:00")
    assert len(_sandbox(flow, "pickup")) == 1


def test_pickup_outside_business_hours_is_refused_naming_the_field(flow: Flow) -> None:
    _labeled(flow, "ups")
    late = _pickup(flow, "ups", "2026-11-02T18:30:00-08:00", "2026-11-02T19:00:00-08:00")
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "requested_start_time"
    past_close = _pickup(flow, "ups", "2026-11-02T16:00:00-08:00", "2026-11-02T20:00:00-08:00")
    assert past_close.status_code == 422
    assert past_close.json()["errors"][0]["field"] == "requested_end_time"
    saturday = _pickup(flow, "ups", "2026-11-07T10:00:00-08:00", "2026-11-07T11:00:00-08:00")
    assert saturday.status_code == 422
    no_labels = _pickup(flow, "usps", "2026-11-02T14:00:00-08:00", "2026-11-02T15:00:00-08:00")
    assert no_labels.status_code == 422
    assert no_labels.json()["errors"][0]["field"] == "carrier"
    flow.drain()
    assert _sandbox(flow, "pickup") == []
