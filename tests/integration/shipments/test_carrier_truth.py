"""Issue 15 end to end: the label job and the void against the sandbox behaving like live
Shippo: lost answers and 30 % faults on the quoted path and on refunds, crashes at every step,
QUEUED labels and refunds, rejected refunds, carrier_timeout, exports and their invoice."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from carriers.sandbox.store import SandboxStore
from carriers.sandbox.transport import IN_PROCESS_BASE_URL
from carriers.shippo.adapter import ShippoCarrier
from freight.jobs.models import Job
from freight.jobs.service import retry_job
from freight.quotes import service as quotes_service
from freight.shipments import purchase, purchase_record
from tests.integration.shipments.flow import API, BERLIN, Flow

THIRTY_PERCENT = "*:0.08:500,*:0.07:429:0,*:0.07:timeout,*:0.08:lost_response"


class WorkerKilled(Exception):
    """Stands in for SIGKILL: the handler's transaction never commits."""


def _crash_once(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """The call runs (a label sold, a refund asked for), then the process dies."""
    original: Callable[..., Any] = getattr(owner, name)
    fired: list[bool] = []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not fired:
            fired.append(True)
            raise WorkerKilled(name)
        return result

    monkeypatch.setattr(owner, name, crashing)


def _sandbox(flow: Flow, path: str, body: dict[str, Any]) -> Any:
    return flow.carrier.session.post(
        f"{IN_PROCESS_BASE_URL}{path}", json=body, headers={"Authorization": "ShippoToken t"}
    ).json()


def _settle(flow: Flow, rounds: int = 12) -> None:
    """Run every job; retry failed ones (as the worker's retries or staff would) until none."""
    for _ in range(rounds):
        flow.drain()
        with flow.factory.begin() as s:
            failed = s.scalars(select(Job).where(Job.status == "failed")).all()
            for job in failed:
                retry_job(s, job_id=job.id)
        if not failed:
            return


def _refunds_for(flow: Flow, transaction_id: str) -> list[dict[str, Any]]:
    store = SandboxStore(str(flow.settings.data_dir / "sandbox-carrier.db"))
    try:
        return [r for r in store.find("refund") if r["transaction"] == transaction_id]
    finally:
        store.close()


def _void(flow: Flow, shipment_id: str) -> None:
    """Staff press Void until the carrier answers (faults make some presses fail)."""
    for _ in range(10):
        resp = flow.client.post(f"{API}/shipments/{shipment_id}/void", headers=flow.staff)
        if resp.status_code == 200 or flow.shipment(shipment_id)["state"] != "labeled":
            return
        assert resp.status_code in (409, 500, 502), resp.text
    raise AssertionError("the void never got through")


CRASHES = [
    (purchase_record, "record_and_continue"),  # re-rated, recorded, died before commit
    (ShippoCarrier, "buy_label"),  # the carrier sold the label; the answer died with the worker
    (purchase, "record_label"),  # label recorded, died before commit
    (quotes_service, "capture"),  # captured, died before commit
    (ShippoCarrier, "void_label"),  # refund asked for; the answer died with the request
    (ShippoCarrier, "get_refund"),  # refund checked, died before commit
    (quotes_service, "settle_release"),  # customer refunded, died before commit
]


@pytest.mark.parametrize(("owner", "name"), CRASHES, ids=[n for _, n in CRASHES])
def test_quoted_label_and_void_under_faults_and_a_crash_make_one_of_each(
    flow: Flow, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str
) -> None:
    rr = flow.international_rr()
    shipment = flow.outbound(rr)
    assert flow.accept(shipment["quote"]["id"], rr).status_code == 200
    _sandbox(flow, "/sandbox/faults", {"faults": THIRTY_PERCENT, "seed": 15})
    _crash_once(monkeypatch, owner, name)
    _settle(flow)
    labeled = flow.shipment(shipment["id"])
    assert labeled["state"] == "labeled"
    _void(flow, shipment["id"])
    _settle(flow)
    _sandbox(flow, "/sandbox/faults", {"faults": ""})
    done = flow.shipment(shipment["id"])
    labels = flow.labels_for(shipment["id"])
    assert [t["status"] for t in labels] == ["REFUNDED"]  # exactly one label, refunded
    assert len(_refunds_for(flow, labels[0]["object_id"])) == 1  # one carrier refund
    assert done["state"] == "voided"
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "capture", "refund"]
    assert done["quote"]["payment"]["refunded"] == done["quote"]["payment"]["captured"]
    assert flow.rr(rr)["status"] == "ready_to_ship"


def test_a_rejected_refund_keeps_the_label_and_the_charge_and_says_so(flow: Flow) -> None:
    rr = flow.international_rr()
    shipment = flow.outbound(rr)
    assert flow.accept(shipment["quote"]["id"], rr).status_code == 200
    flow.drain()
    _sandbox(flow, "/sandbox/behaviour", {"refund_outcome": "reject"})
    resp = flow.client.post(f"{API}/shipments/{shipment['id']}/void", headers=flow.staff)
    assert resp.json()["state"] == "void_pending"
    flow.drain()
    view = flow.shipment(shipment["id"])
    assert (view["state"], view["refund_status"]) == ("labeled", "REFUNDREJECTED")
    assert "refused to refund" in view["error"]
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "capture"]
    assert flow.rr(rr)["status"] == "shipped"


def test_a_queued_label_waits_in_the_job_and_is_bought_once(flow: Flow) -> None:
    # Longer than the purchase call polls (10 s): the job is left with a QUEUED label.
    _sandbox(flow, "/sandbox/behaviour", {"purchase_queue_seconds": 12})
    rr = flow.ready_rr()
    shipment = flow.outbound(rr)
    flow.drain()  # the job finds the label QUEUED: it will look again, never buy again
    with flow.factory.begin() as s:
        job = s.scalars(select(Job).where(Job.task == "shipments.buy_label")).one()
        assert "still QUEUED" in (job.last_error or "")
    assert flow.shipment(shipment["id"])["state"] == "purchasing"
    deadline = time.monotonic() + 30
    while flow.shipment(shipment["id"])["state"] == "purchasing" and time.monotonic() < deadline:
        time.sleep(0.5)  # the carrier finishes the label in its own time
        _settle(flow, rounds=1)
    labels = flow.labels_for(shipment["id"])
    assert [t["status"] for t in labels] == ["SUCCESS"]
    view = flow.shipment(shipment["id"])
    assert (view["state"], view["tracking_number"]) == ("labeled", labels[0]["tracking_number"])


def test_a_carrier_that_times_out_is_waited_for_not_replaced(flow: Flow) -> None:
    rr = flow.international_rr()
    shipment = flow.outbound(rr)
    carrier = shipment["carrier"]
    assert flow.accept(shipment["quote"]["id"], rr).status_code == 200
    _sandbox(flow, "/sandbox/behaviour", {"carrier_timeouts": [carrier]})
    flow.drain()
    view = flow.shipment(shipment["id"])
    assert view["state"] == "purchasing"  # not failed, hold not released, carrier unchanged
    assert view["quote"]["payment"]["status"] == "authorized"
    _sandbox(flow, "/sandbox/behaviour", {})
    _settle(flow)
    assert (flow.shipment(shipment["id"])["state"], flow.shipment(shipment["id"])["carrier"]) == (
        "labeled",
        carrier,
    )


def test_an_export_label_prints_with_its_commercial_invoice_after_the_links_expired(
    flow: Flow,
) -> None:
    _sandbox(flow, "/sandbox/behaviour", {"label_url_seconds": 4})
    rr = flow.international_rr()
    shipment = flow.outbound(rr)
    assert flow.accept(shipment["quote"]["id"], rr).status_code == 200
    flow.drain()  # the label and the invoice are downloaded while their links are good
    _sandbox(flow, "/sandbox/behaviour", {"label_url_seconds": 0})
    time.sleep(4.5)
    resp = flow.client.get(f"{API}/shipments/{shipment['id']}/label", headers=flow.staff)
    assert resp.status_code == 200
    pages = PdfReader(io.BytesIO(resp.content)).pages
    assert [round(float(p.mediabox.width)) for p in pages] == [288, 612]  # 4x6 label, letter
    customs = flow.shipment(shipment["id"])["customs"]
    assert (customs["eel_pfc"], customs["incoterm"]) == ("NOEEI_30_37_a", "DDU")


def test_an_international_return_without_a_phone_is_refused_up_front(flow: Flow) -> None:
    rr = flow.ready_rr(
        return_address={**BERLIN, "phone": None},
        customer={"name": "Grace Hopper", "email": "grace@example.com"},
    )
    resp = flow.request(rr)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "return_address.phone"


def _transaction(flow: Flow, transaction_id: str) -> dict[str, Any]:
    return dict(
        flow.carrier.session.get(
            f"{IN_PROCESS_BASE_URL}/transactions/{transaction_id}",
            headers={"Authorization": "ShippoToken t"},
        ).json()
    )


def _webhook(flow: Flow, event: str, data: dict[str, Any]) -> None:
    body = {"event": event, "test": True, "data": data}
    resp = flow.client.post(f"/webhooks/shippo?token={flow.settings.webhook_token}", json=body)
    assert resp.status_code in (200, 202), resp.text


def test_transaction_created_is_the_lasting_record_of_a_label_whose_answer_was_lost(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    rr = flow.ready_rr()
    shipment = flow.outbound(rr)
    _crash_once(monkeypatch, ShippoCarrier, "buy_label")
    flow.drain()  # sold, then the worker died: nothing recorded here
    (sold,) = flow.labels_for(shipment["id"])
    assert flow.shipment(shipment["id"])["state"] == "purchasing"
    _webhook(flow, "transaction_created", _transaction(flow, sold["object_id"]))
    flow.drain()
    view = flow.shipment(shipment["id"])
    assert (view["state"], view["tracking_number"]) == ("labeled", sold["tracking_number"])
    _settle(flow)  # the crashed job's retry finds the label recorded: nothing bought again
    assert len(flow.labels_for(shipment["id"])) == 1


def test_transaction_updated_settles_a_pending_void(flow: Flow) -> None:
    rr = flow.ready_rr()
    shipment = flow.outbound(rr)
    flow.drain()
    _sandbox(flow, "/sandbox/behaviour", {"refund_seconds": 3600})
    resp = flow.client.post(f"{API}/shipments/{shipment['id']}/void", headers=flow.staff)
    assert resp.json()["state"] == "void_pending"
    flow.drain()  # the refund check: still PENDING at the carrier
    assert flow.shipment(shipment["id"])["state"] == "void_pending"
    assert flow.rr(rr)["status"] == "shipped"
    tx = _transaction(flow, flow.labels_for(shipment["id"])[0]["object_id"])
    _webhook(flow, "transaction_updated", {**tx, "status": "REFUNDED"})
    flow.drain()
    assert flow.shipment(shipment["id"])["state"] == "voided"
    assert flow.rr(rr)["status"] == "ready_to_ship"


def test_an_export_above_the_eei_threshold_is_refused_naming_the_filing(flow: Flow) -> None:
    rr = flow.international_rr(declared_value={"amount": "4000.00", "currency": "USD"})
    resp = flow.request(rr)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "declared_value"
    assert "AES" in resp.json()["errors"][0]["message"]
