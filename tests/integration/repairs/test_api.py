"""The Repair Request API as staff use it, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.repairs.models import RepairRequest, RRHistory
from tests.integration.conftest import Clock, rr_payload

API = "/api/v1"


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RepairRequest)) or 0


def test_open_rr_sets_deadline_terms_and_history(
    open_rr: Callable[..., dict[str, Any]], clock: Clock
) -> None:
    rr = open_rr()
    assert rr["rr_number"].startswith("RR-")
    assert rr["status"] == "issued"
    assert rr["freight_terms"]["payer"] == "vendor"
    assert rr["freight_terms"]["rule"] == "P-NA"
    issued = clock.now
    assert rr["inbound_deadline"].startswith((issued + timedelta(days=30)).date().isoformat())
    assert [h["to_status"] for h in rr["history"]] == ["issued"]


def test_international_rr_is_quoted_and_country_normalized(
    open_rr: Callable[..., dict[str, Any]],
) -> None:
    address = rr_payload()["return_address"] | {"country": "Germany", "postal_code": "10115"}
    rr = open_rr(return_address=address)
    assert rr["return_address"]["country"] == "DE"
    assert rr["freight_terms"] == {
        "payer": "customer",
        "card_required": True,
        "rule": "P-QUOTE",
        "reason": rr["freight_terms"]["reason"],
        "region": "international",
    }


def test_second_open_rr_for_same_serial_is_409_and_creates_nothing(
    client: TestClient, staff: dict[str, str], session: Session
) -> None:
    body = rr_payload(serial_number="DUP-1")
    assert client.post(f"{API}/repair-requests", json=body, headers=staff).status_code == 201
    again = client.post(f"{API}/repair-requests", json=body, headers=staff)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "DUP-1" in again.json()["detail"]
    assert _count(session) == 1


def test_cancelled_rr_frees_the_serial(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    rr = open_rr(serial_number="FREE-1")
    resp = client.post(
        f"{API}/repair-requests/{rr['rr_number']}/status",
        json={"status": "cancelled", "note": "customer withdrew"},
        headers=staff,
    )
    assert resp.status_code == 200, resp.text
    assert (
        client.post(
            f"{API}/repair-requests", json=rr_payload(serial_number="FREE-1"), headers=staff
        ).status_code
        == 201
    )


_ADDR = rr_payload()["return_address"]
BAD_INPUTS = [
    (
        "unknown country",
        {"return_address": _ADDR | {"country": "Narnia"}},
        "return_address.country",
    ),
    ("empty serial", {"serial_number": "  "}, "serial_number"),
    ("negative declared value", {"declared_value": {"amount": "-5"}}, "declared_value.amount"),
    (
        "unknown currency",
        {"declared_value": {"amount": "5", "currency": "XYZ"}},
        "declared_value.currency",
    ),
    ("bad email", {"customer": {"name": "A", "email": "not-an-email"}}, "customer.email"),
    ("export restricted", {"return_address": _ADDR | {"country": "CU"}}, "return_address.country"),
]


@pytest.mark.parametrize(("case", "over", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_rr_input_is_422_naming_the_field(
    client: TestClient,
    staff: dict[str, str],
    session: Session,
    case: str,
    over: dict[str, Any],
    field: str,
) -> None:
    resp = client.post(f"{API}/repair-requests", json=rr_payload(**over), headers=staff)
    assert resp.status_code == 422, (case, resp.text)
    body = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert body["status"] == 422
    assert field in [e["field"] for e in body["errors"]], body
    assert _count(session) == 0


def test_missing_proof_of_purchase_is_422(client: TestClient, staff: dict[str, str]) -> None:
    body = rr_payload()
    del body["proof_of_purchase"]
    resp = client.post(f"{API}/repair-requests", json=body, headers=staff)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "proof_of_purchase"


def test_malformed_json_and_oversized_body(client: TestClient, staff: dict[str, str]) -> None:
    bad = client.post(
        f"{API}/repair-requests",
        content=b"{not json",
        headers=staff | {"content-type": "application/json"},
    )
    assert bad.status_code == 400
    assert bad.json()["title"] == "Malformed JSON"
    huge = client.post(
        f"{API}/repair-requests",
        content=b'{"x": "' + b"a" * 2_000_000 + b'"}',
        headers=staff | {"content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("application/problem+json")


def test_auth_401_and_403(client: TestClient, make_token: Callable[[str], dict[str, str]]) -> None:
    assert client.get(f"{API}/repair-requests").status_code == 401
    bad = client.get(f"{API}/repair-requests", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    finance = make_token("finance")
    resp = client.get(f"{API}/repair-requests", headers=finance)
    assert resp.status_code == 403
    assert "staff" in resp.json()["detail"]
    assert client.get(f"{API}/repair-requests", headers=make_token("admin")).status_code == 200


def test_unknown_rr_is_404(client: TestClient, staff: dict[str, str]) -> None:
    resp = client.get(f"{API}/repair-requests/RR-NOPE0000", headers=staff)
    assert resp.status_code == 404
    assert "RR-NOPE0000" in resp.json()["detail"]


def test_list_is_cursor_paginated_and_filterable(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    made = [open_rr()["rr_number"] for _ in range(5)]
    special = open_rr(customer={"name": "Grace Hopper", "email": "grace@example.com"})
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"{API}/repair-requests", params=params, headers=staff).json()
        seen += [i["rr_number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [special["rr_number"], *reversed(made)]
    found = client.get(f"{API}/repair-requests", params={"q": "grace"}, headers=staff).json()
    assert [i["rr_number"] for i in found["items"]] == [special["rr_number"]]
    by_status = client.get(f"{API}/repair-requests", params={"status": "received"}, headers=staff)
    assert by_status.json()["items"] == []
    assert (
        client.get(f"{API}/repair-requests", params={"status": "bogus"}, headers=staff).status_code
        == 422
    )
    assert (
        client.get(f"{API}/repair-requests", params={"cursor": "zzz"}, headers=staff).status_code
        == 422
    )


RECEIPT_OK = {
    "rr_marked_on_carton": True,
    "freight_collect": False,
    "visible_damage": False,
    "serial_number_seen": None,
    "third_party_equipment": False,
    "notes": "",
}


def test_receipt_accepts_and_starts_21_working_day_clock(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]], clock: Clock
) -> None:
    rr = open_rr(serial_number="ACC-1")
    clock.now = clock.now + timedelta(days=2)  # Wed 2026-11-04
    resp = client.post(
        f"{API}/repair-requests/{rr['rr_number']}/receipt",
        json=RECEIPT_OK | {"serial_number_seen": "acc-1"},
        headers=staff,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["accepted"] is True
    # 21 working days after Wed 2026-11-04, skipping Veterans Day (11-11) and Thanksgiving (11-26).
    assert body["repair_request"]["repair_due"] == "2026-12-07"
    assert body["repair_request"]["status"] == "received"
    again = client.post(
        f"{API}/repair-requests/{rr['rr_number']}/receipt", json=RECEIPT_OK, headers=staff
    )
    assert again.status_code == 409


def test_receipt_rejects_with_every_reason(
    client: TestClient,
    staff: dict[str, str],
    open_rr: Callable[..., dict[str, Any]],
    session: Session,
) -> None:
    rr = open_rr(serial_number="REJ-1")
    resp = client.post(
        f"{API}/repair-requests/{rr['rr_number']}/receipt",
        json=RECEIPT_OK
        | {
            "rr_marked_on_carton": False,
            "freight_collect": True,
            "visible_damage": True,
            "serial_number_seen": "OTHER-9",
            "third_party_equipment": True,
        },
        headers=staff,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["accepted"] is False
    codes = {r["code"] for r in body["reasons"]}
    assert {"unmarked", "freight_collect", "damaged", "serial_mismatch", "third_party"} <= codes
    assert {r["rule"] for r in body["reasons"]} >= {"P-MARK", "P-INBOUND", "P-REJECT"}
    assert body["repair_request"]["status"] == "rejected"
    history = session.scalars(select(RRHistory.to_status).order_by(RRHistory.id)).all()
    assert history == ["issued", "rejected"]


def test_status_moves_follow_the_lifecycle(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    rr = open_rr()
    url = f"{API}/repair-requests/{rr['rr_number']}/status"
    early = client.post(url, json={"status": "in_repair"}, headers=staff)
    assert early.status_code == 409
    assert "cancelled" in early.json()["allowed"]
    seen = RECEIPT_OK | {"serial_number_seen": rr["serial_number"]}
    client.post(f"{API}/repair-requests/{rr['rr_number']}/receipt", json=seen, headers=staff)
    assert (
        client.post(url, json={"status": "in_repair"}, headers=staff).json()["status"]
        == "in_repair"
    )
    done = client.post(url, json={"status": "ready_to_ship", "note": "fixed"}, headers=staff).json()
    assert done["status"] == "ready_to_ship"
    assert [h["to_status"] for h in done["history"]] == [
        "issued",
        "received",
        "in_repair",
        "ready_to_ship",
    ]
    assert done["history"][-1]["note"] == "fixed"
    assert client.post(url, json={"status": "shipped"}, headers=staff).status_code == 409
    assert client.post(url, json={"status": "flying"}, headers=staff).status_code == 422


@pytest.mark.parametrize(
    ("direction", "country", "payer", "rule"),
    [
        ("outbound", "US", "vendor", "P-NA"),
        ("outbound", "PRI", "vendor", "P-NA"),
        ("outbound", "NA", "customer", "P-QUOTE"),
        ("outbound", "392", "customer", "P-QUOTE"),
        ("inbound", "Japan", "sender", "P-INBOUND"),
    ],
)
def test_freight_terms(
    client: TestClient, staff: dict[str, str], direction: str, country: str, payer: str, rule: str
) -> None:
    resp = client.post(
        f"{API}/freight-terms", json={"direction": direction, "country": country}, headers=staff
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["payer"], resp.json()["rule"]) == (payer, rule)


def test_freight_terms_errors_name_the_field(client: TestClient, staff: dict[str, str]) -> None:
    bad = client.post(
        f"{API}/freight-terms", json={"direction": "outbound", "country": "ZZ"}, headers=staff
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "country"
    assert "ZZ" in bad.json()["errors"][0]["message"]
    cuba = client.post(
        f"{API}/freight-terms", json={"direction": "outbound", "country": "CU"}, headers=staff
    )
    assert cuba.status_code == 422
    assert cuba.json()["rule"] == "P-EXPORT"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_a_failed_commit_is_never_answered_2xx(
    app: Any, staff: dict[str, str], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request's commit happens before the response: if it fails, the caller sees a 5xx."""
    from sqlalchemy.exc import OperationalError

    real_commit = Session.commit

    def failing_commit(_self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    client = TestClient(app, raise_server_exceptions=False)
    monkeypatch.setattr(Session, "commit", failing_commit)
    resp = client.post(
        f"{API}/repair-requests", json=rr_payload(serial_number="COMMIT-1"), headers=staff
    )
    monkeypatch.setattr(Session, "commit", real_commit)
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "disk full" not in resp.text  # no internals to the caller
    assert len(resp.headers["x-request-id"]) == 16  # what staff quote when they report it
    assert _count(session) == 0
