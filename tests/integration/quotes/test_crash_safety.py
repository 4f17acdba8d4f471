"""Crash safety of the quoted label flow (issue 5 §5): a worker dying at any step converges,
after the job runs again, to exactly one label and at most one capture of the right amount."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from freight.jobs.models import Job
from freight.jobs.service import retry_job
from freight.quotes import service as quotes_service
from freight.quotes.models import Quote
from freight.shipments import purchase
from tests.integration.shipments.flow import API, Flow


class WorkerKilled(Exception):
    """Stands in for SIGKILL: the handler's transaction never commits."""


def _crash_once(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, *, after: bool) -> None:
    original: Callable[..., Any] = getattr(owner, name)
    fired: list[bool] = []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        if fired:
            return original(*args, **kwargs)
        fired.append(True)
        if after:
            original(*args, **kwargs)
        raise WorkerKilled(name)

    monkeypatch.setattr(owner, name, crashing)


def _accepted(flow: Flow) -> tuple[str, dict[str, Any]]:
    rr = flow.international_rr()
    shipment = flow.outbound(rr)
    assert flow.accept(shipment["quote"]["id"], rr).status_code == 200
    return rr, shipment


def _restart(flow: Flow) -> None:
    """The crashed job is retried (as the worker's retry or staff's retry would)."""
    flow.drain()
    with flow.factory.begin() as s:
        for job in s.scalars(select(Job).where(Job.status == "failed")).all():
            retry_job(s, job_id=job.id)
    flow.drain()


def _assert_one_label_one_capture(flow: Flow, shipment_id: str) -> None:
    assert len(flow.labels_for(shipment_id)) == 1
    done = flow.shipment(shipment_id)
    assert done["state"] == "labeled"
    captures = flow.payments.operations("capture")
    assert len(captures) == 1
    assert captures[0]["amount"] == int(Decimal(done["cost"]["amount"]) * 100)
    assert done["quote"]["payment"]["captured"] == done["cost"]


@pytest.mark.parametrize(
    ("owner", "name", "after"),
    [
        (purchase, "_fresh_rate", False),  # killed after authorization, before the purchase
        (purchase, "record_label", True),  # killed after the carrier sold the label, before commit
        (quotes_service, "capture", False),  # killed between purchase and capture
        (quotes_service, "capture", True),  # killed after capture, before commit
    ],
    ids=["before-purchase", "after-purchase", "before-capture", "after-capture"],
)
def test_crash_converges_to_one_label_and_one_capture(
    flow: Flow, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, after: bool
) -> None:
    rr, shipment = _accepted(flow)
    _crash_once(monkeypatch, owner, name, after=after)
    _restart(flow)
    _assert_one_label_one_capture(flow, shipment["id"])
    assert flow.rr(rr)["status"] == "shipped"


def test_label_bought_for_a_quote_superseded_meanwhile_is_voided(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    rr, shipment = _accepted(flow)
    _crash_once(monkeypatch, purchase, "record_label", after=True)
    flow.drain()  # the label was sold, then the worker died
    assert len(flow.labels_for(shipment["id"])) == 1
    with flow.factory.begin() as s:
        quote = s.get(Quote, shipment["quote"]["id"])
        assert quote is not None
        quote.status = "superseded"
    _restart(flow)
    view = flow.shipment(shipment["id"])
    assert view["state"] == "voided"
    assert view["refund_status"] == "SUCCESS"
    assert view["quote"]["payment"]["status"] == "cancelled"
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "cancel"]
    assert [t["status"] for t in flow.labels_for(shipment["id"])] == ["REFUNDED"]


def test_void_of_a_paid_label_refunds_the_capture(flow: Flow) -> None:
    rr, shipment = _accepted(flow)
    flow.drain()
    resp = flow.client.post(f"{API}/shipments/{shipment['id']}/void", headers=flow.staff)
    assert resp.status_code == 200, resp.text
    flow.drain()
    view = flow.shipment(shipment["id"])
    assert view["quote"]["payment"]["refunded"] == view["quote"]["payment"]["captured"]
    assert [o["op"] for o in flow.payments.operations()] == ["authorize", "capture", "refund"]
    assert flow.rr(rr)["status"] == "ready_to_ship"
