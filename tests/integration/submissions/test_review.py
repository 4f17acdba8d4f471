"""Staff review online requests (P-REVIEW): queue, approve, ask, decline, reply; 409s; emails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.repairs.models import RepairRequest
from freight.settings import Settings
from tests.integration.conftest import Clock, rr_payload
from tests.integration.submissions.helpers import (
    API,
    bearer,
    body_of,
    emails_of,
    request_body,
    submit,
    unit,
)
from tests.integration.tracking.helpers import run_jobs


def _move(
    client: TestClient, sid: str, action: str, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    return client.post(f"{API}/rr-submissions/{sid}/{action}", json=body, headers=headers)


def _rr_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(RepairRequest)) or 0


def test_the_queue_lists_waiting_requests_oldest_first(
    client: TestClient, staff: dict[str, str], clock: Clock
) -> None:
    first = submit(client, request_body(client))
    clock.now += timedelta(minutes=5)
    second = submit(client, request_body(client))
    clock.now += timedelta(minutes=5)
    third = submit(client, request_body(client))
    _move(client, third["id"], "decline", {"reason": "Not our product"}, staff)
    page = client.get(f"{API}/rr-submissions", headers=staff).json()
    assert [s["id"] for s in page["items"]] == [first["id"], second["id"]]
    declined = client.get(f"{API}/rr-submissions?status=declined", headers=staff).json()
    assert [s["id"] for s in declined["items"]] == [third["id"]]
    assert client.get(f"{API}/rr-submissions?status=bogus", headers=staff).status_code == 422
    one = client.get(f"{API}/rr-submissions?limit=1", headers=staff).json()
    more = client.get(f"{API}/rr-submissions?limit=1&cursor={one['next_cursor']}", headers=staff)
    assert [s["id"] for s in more.json()["items"]] == [second["id"]]
    assert client.get(f"{API}/rr-submissions", headers=bearer(first["token"])).status_code == 401


def test_approve_issues_one_rr_per_serial_with_the_window_from_approval(
    client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock
) -> None:
    sub = submit(
        client,
        request_body(
            client,
            units=3,
            special_requirements="Ship via FedEx",
            insurance_requested=True,
            declared_value={"amount": "400", "currency": "USD"},
        ),
    )
    clock.now += timedelta(days=3)
    resp = _move(client, sub["id"], "approve", {"note": "Thanks"}, staff)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["status"] == "approved"
    numbers = [u["rr_number"] for u in data["units"]]
    assert len(set(numbers)) == 3
    assert all(n and n.startswith("RR-") for n in numbers)
    for u in data["units"]:
        rr = client.get(f"{API}/repair-requests/{u['rr_number']}", headers=staff).json()
        assert rr["serial_number"] == u["serial_number"]
        assert rr["source"] == "online"
        assert rr["submission_id"] == sub["id"]
        assert rr["policy_version"] == sub["agreement"]["policy_version"]
        assert rr["agreed_at"] == sub["agreement"]["agreed_at"]
        assert rr["agreement"]["user_agent"] == "testclient"
        assert rr["issued_at"].startswith("2026-11-05T17:00")  # approval, not submission
        assert rr["inbound_deadline"].startswith("2026-12-05")
        assert rr["special_requirements"] == "Ship via FedEx"
        assert rr["declared_value"] == {"amount": "400.00", "currency": "USD"}
    run_jobs(settings, clock)
    (msg,) = emails_of(settings, "submission_approved")
    text = body_of(msg)
    for u in data["units"]:
        assert f"{u['rr_number']}: serial {u['serial_number']}" in text
    assert "2026-12-05" in text
    assert "carton label" in text.lower()
    assert emails_of(settings, "rr_issued") == []  # one email for the whole request
    # The customer sees the numbers with a tracking token for each.
    mine = client.get(f"{API}/rr-submissions/{sub['id']}", headers=bearer(sub["token"])).json()
    assert [u["rr_number"] for u in mine["units"]] == numbers
    label = client.get(
        mine["units"][0]["carton_label_url"], headers=bearer(mine["units"][0]["tracking_token"])
    )
    assert label.status_code == 200
    assert label.content.startswith(b"%PDF")


def test_a_move_that_does_not_fit_is_409_and_emails_nobody_twice(
    client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock, session: Session
) -> None:
    sub = submit(client, request_body(client))
    assert _move(client, sub["id"], "decline", {"reason": "No proof"}, staff).status_code == 200
    again = _move(client, sub["id"], "approve", {}, staff)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert _move(client, sub["id"], "decline", {"reason": "Twice"}, staff).status_code == 409
    assert _move(client, sub["id"], "request-info", {"message": "?"}, staff).status_code == 409
    assert _rr_count(session) == 0
    run_jobs(settings, clock)
    assert len(emails_of(settings, "submission_declined")) == 1
    assert "No proof" in body_of(emails_of(settings, "submission_declined")[0])
    approved = submit(client, request_body(client))
    assert _move(client, approved["id"], "approve", {}, staff).status_code == 200
    assert _move(client, approved["id"], "approve", {}, staff).status_code == 409
    run_jobs(settings, clock)
    assert len(emails_of(settings, "submission_approved")) == 1
    assert _rr_count(session) == 1


def test_request_info_then_the_customer_replies_and_it_is_back_in_the_queue(
    client: TestClient, staff: dict[str, str], settings: Settings, clock: Clock
) -> None:
    sub = submit(client, request_body(client))
    auth = bearer(sub["token"])
    early = client.post(
        f"{API}/rr-submissions/{sub['id']}/reply", json={"message": "hi"}, headers=auth
    )
    assert early.status_code == 409
    asked = _move(
        client, sub["id"], "request-info", {"message": "Please upload the invoice."}, staff
    )
    assert asked.json()["status"] == "info_requested"
    assert _move(client, sub["id"], "request-info", {"message": "Again?"}, staff).status_code == 409
    by_staff = client.post(
        f"{API}/rr-submissions/{sub['id']}/reply", json={"message": "x"}, headers=staff
    )
    assert by_staff.status_code == 403
    answered = client.post(
        f"{API}/rr-submissions/{sub['id']}/reply",
        json={"message": "Invoice attached.\nThanks"},
        headers=auth,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "submitted"
    assert [m["kind"] for m in answered.json()["messages"]] == [
        "submitted",
        "info_requested",
        "reply",
    ]
    queue = client.get(f"{API}/rr-submissions?status=submitted", headers=staff).json()["items"]
    assert sub["id"] in [s["id"] for s in queue]
    run_jobs(settings, clock)
    (ask,) = emails_of(settings, "submission_info_requested")
    assert "Please upload the invoice." in body_of(ask)
    assert len(emails_of(settings, "submission_reply_received")) == 1


def test_approval_is_refused_when_a_serial_got_an_rr_meanwhile_and_nothing_is_half_made(
    client: TestClient, staff: dict[str, str], session: Session
) -> None:
    body = request_body(client, units=2)
    sub = submit(client, body)
    # The staff desk opens an RR for the second serial directly (the request holds it, but
    # staff-opened RRs do not look at requests).
    client.post(
        f"{API}/repair-requests",
        json=rr_payload(serial_number=body["units"][1]["serial_number"]),
        headers=staff,
    )
    resp = _move(client, sub["id"], "approve", {}, staff)
    assert resp.status_code == 409
    assert [e["field"] for e in resp.json()["errors"]] == ["units[1].serial_number"]
    assert _rr_count(session) == 1  # only the staff one
    current = client.get(f"{API}/rr-submissions/{sub['id']}", headers=staff).json()
    assert current["status"] == "submitted"
    assert current["units"][1]["open_repair_request"]["status"] == "issued"


@pytest.fixture
def reseller_settings(settings: Settings) -> Settings:
    settings.authorized_resellers = ["Acme Phones", "Beta Telecom"]
    return settings


@pytest.mark.usefixtures("reseller_settings")
def test_an_unlisted_reseller_is_flagged_and_needs_staff_to_confirm_the_proof(
    client: TestClient, staff: dict[str, str]
) -> None:
    listed = submit(client, request_body(client))
    assert (
        client.get(f"{API}/rr-submissions/{listed['id']}", headers=staff).json()["flags"][0]["code"]
        == "no_document"
    )
    body = request_body(client)
    body["proof_of_purchase"]["reseller"] = "Grey Market Ltd"
    flagged = submit(client, body)
    view = client.get(f"{API}/rr-submissions/{flagged['id']}", headers=staff).json()
    codes = [f["code"] for f in view["flags"]]
    assert "reseller_not_authorized" in codes
    refused = _move(client, flagged["id"], "approve", {}, staff)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["proof_confirmed"]
    ok = _move(client, flagged["id"], "approve", {"proof_confirmed": True}, staff)
    assert ok.status_code == 200
    assert ok.json()["proof_confirmed_by"] == "test-staff"
    assert _move(client, listed["id"], "approve", {}, staff).status_code == 200


def test_the_serials_of_a_declined_request_can_be_requested_again(
    client: TestClient, staff: dict[str, str]
) -> None:
    body = request_body(client)
    first = submit(client, body)
    assert client.post(f"{API}/rr-submissions", json=body).status_code == 409
    _move(client, first["id"], "decline", {"reason": "Wrong unit"}, staff)
    assert client.post(f"{API}/rr-submissions", json=body).status_code == 201


def test_staff_see_warranty_and_other_open_requests_per_serial(
    client: TestClient, staff: dict[str, str]
) -> None:
    body = request_body(client)
    body["units"] = [unit("OLD-UNIT-1")]
    body["proof_of_purchase"]["purchase_date"] = "2020-01-15"
    sub = submit(client, body)
    view = client.get(f"{API}/rr-submissions/{sub['id']}", headers=staff).json()
    assert view["units"][0]["warranty"] == {
        "status": "out_of_warranty",
        "ends_on": "2021-01-14",
        "replaced_by": None,
        "replaces": None,
    }
    assert view["actions"] == ["approve", "decline", "request_info"]
