"""Customers request online (SPEC §8, P-AGREE): the policy, the request, its token, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.repairs.models import RepairRequest
from freight.settings import Settings
from freight.submissions.models import RRSubmission, SubmissionUnit
from tests.integration.conftest import Clock, rr_payload
from tests.integration.submissions.helpers import (
    API,
    PDF,
    PNG,
    bearer,
    body_of,
    credit_body,
    emails_of,
    request_body,
    serial,
    submit,
    unit,
)
from tests.integration.tracking.helpers import run_jobs


def _count(session: Session) -> tuple[int, int]:
    session.expire_all()
    subs = session.scalar(select(func.count()).select_from(RRSubmission)) or 0
    units = session.scalar(select(func.count()).select_from(SubmissionUnit)) or 0
    return subs, units


def _fields(resp: Any) -> list[str]:
    return [e["field"] for e in resp.json().get("errors", [])]


def test_policy_is_the_shipped_text_with_version_and_sha256(client: TestClient) -> None:
    import hashlib

    resp = client.get(f"{API}/policy")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["text"].startswith("Return Policy")
    assert "I agree" in doc["text"]
    assert "20% restocking fee" in doc["text"]
    assert doc["sha256"] == hashlib.sha256(doc["text"].encode()).hexdigest()
    assert doc["version"].startswith(doc["effective_date"])


def test_a_request_with_several_units_is_stored_with_the_agreement_and_a_token(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    body = request_body(client, units=3)
    resp = client.post(f"{API}/rr-submissions", json=body, headers={"User-Agent": "pytest-agent/1"})
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["status"] == "submitted"
    assert data["token"].startswith("sub.")
    assert [u["serial_number"] for u in data["units"]] == [
        u["serial_number"] for u in body["units"]
    ]
    assert all(u["warranty"]["status"] == "in_warranty" for u in data["units"])  # bought 2026-06
    assert data["agreement"]["policy_version"] == body["policy_version"]
    assert data["agreement"]["agreed_at"].startswith("2026-11-02T17:00")
    assert "user_agent" not in data["agreement"] or data["agreement"]["user_agent"] is None
    # The token reads this request (and only this one).
    mine = client.get(f"{API}/rr-submissions/{data['id']}", headers=bearer(data["token"]))
    assert mine.status_code == 200
    assert mine.json()["status"] == "submitted"
    run_jobs(settings, clock)
    (msg,) = emails_of(settings, "submission_received")
    assert msg["To"] == "ada@example.com"
    text = body_of(msg)
    assert data["id"] in text
    assert f"/request/{data['id']}#token=" in text
    for u in body["units"]:
        assert u["serial_number"] in text


def test_staff_see_where_the_agreement_came_from(client: TestClient, staff: dict[str, str]) -> None:
    data = submit(client, request_body(client))
    resp = client.get(f"{API}/rr-submissions/{data['id']}", headers=staff)
    agreement = resp.json()["agreement"]
    assert agreement["user_agent"] == "testclient"
    assert agreement["client_address"] == "testclient"
    assert len(agreement["policy_sha256"]) == 64


def test_another_requests_token_cannot_read_it(client: TestClient) -> None:
    first = submit(client, request_body(client))
    second = submit(client, request_body(client))
    resp = client.get(f"{API}/rr-submissions/{first['id']}", headers=bearer(second["token"]))
    assert resp.status_code == 404
    assert client.get(f"{API}/rr-submissions/{first['id']}").status_code == 401
    forged = second["token"][:-4] + "AAAA"
    assert (
        client.get(f"{API}/rr-submissions/{second['id']}", headers=bearer(forged)).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agreed": False}, "agreed"),
        ({"policy_version": "2020-01-01.000000000000"}, "policy_version"),
        ({"units": []}, "units"),
        ({"units": [unit() for _ in range(21)]}, "units"),
        ({"insurance_requested": True}, "declared_value"),
        (
            {
                "return_address": {
                    "name": "X",
                    "street1": "1 Main",
                    "city": "Havana",
                    "postal_code": "10400",
                    "country": "CU",
                }
            },
            "return_address.country",
        ),
        ({"special_requirements": "fragile\u0000"}, "special_requirements"),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_nothing_is_stored(
    client: TestClient, session: Session, change: dict[str, Any], field: str
) -> None:
    body = request_body(client)
    body.update(change)
    resp = client.post(f"{API}/rr-submissions", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert field in _fields(resp)
    assert _count(session) == (0, 0)


def test_an_agreement_that_is_not_true_is_refused_even_if_truthy(client: TestClient) -> None:
    body = request_body(client)
    body["agreed"] = "yes"
    resp = client.post(f"{API}/rr-submissions", json=body)
    assert resp.status_code == 422
    assert "agreed" in _fields(resp)


def test_a_serial_twice_in_one_request_names_the_second_unit(
    client: TestClient, session: Session
) -> None:
    same = serial()
    body = request_body(client)
    body["units"] = [unit(same), unit(), unit(same.lower())]
    resp = client.post(f"{API}/rr-submissions", json=body)
    assert resp.status_code == 422
    assert _fields(resp) == ["units[2].serial_number"]
    assert _count(session) == (0, 0)


def test_a_serial_with_an_open_rr_or_in_an_open_request_is_a_409_naming_the_unit(
    client: TestClient, staff: dict[str, str], session: Session
) -> None:
    rr = client.post(
        f"{API}/repair-requests", json=rr_payload(serial_number="HELD-RR-1"), headers=staff
    ).json()
    first = submit(client, request_body(client))
    taken_by_request = first["units"][0]["serial_number"]
    body = request_body(client)
    body["units"] = [unit(), unit("held-rr-1"), unit(taken_by_request)]
    resp = client.post(f"{API}/rr-submissions", json=body)
    assert resp.status_code == 409
    assert _fields(resp) == ["units[1].serial_number", "units[2].serial_number"]
    assert rr["rr_number"] not in resp.text  # nothing about another customer's RR
    assert _count(session) == (1, 1)


def test_credit_returns_need_a_web_order_with_price_and_payment_reference(
    client: TestClient, session: Session
) -> None:
    body = credit_body(client)
    body["proof_of_purchase"] = {"document_type": "invoice", "reference": "INV-1"}
    resp = client.post(f"{API}/rr-submissions", json=body)
    assert resp.status_code == 422
    assert set(_fields(resp)) >= {
        "proof_of_purchase.document_type",
        "proof_of_purchase.price",
        "proof_of_purchase.payment_reference",
    }
    assert _count(session) == (0, 0)
    assert submit(client, credit_body(client))["kind"] == "credit_return"


def test_documents_are_checked_by_content_and_size(client: TestClient, settings: Settings) -> None:
    data = submit(client, request_body(client))
    url, auth = f"{API}/rr-submissions/{data['id']}/documents", bearer(data["token"])
    fake = client.post(
        url,
        files={"file": ("invoice.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        headers=auth,
    )
    assert fake.status_code == 422
    assert _fields(fake) == ["file"]
    big = client.post(
        url,
        files={
            "file": ("big.pdf", PDF + b"0" * (settings.max_document_bytes + 10), "application/pdf")
        },
        headers=auth,
    )
    assert big.status_code == 413
    assert _fields(big) == ["file"]
    ok = client.post(
        url, files={"file": ("scan.bin", PNG, "application/octet-stream")}, headers=auth
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["media_type"] == "image/png"
    again = client.post(url, files={"file": ("again.png", PNG, "image/png")}, headers=auth)
    assert again.status_code == 200
    assert again.json()["id"] == ok.json()["id"]
    docs = client.get(f"{API}/rr-submissions/{data['id']}", headers=auth).json()["documents"]
    assert len(docs) == 1
    fetched = client.get(docs[0]["url"], headers=auth)
    assert fetched.content == PNG
    assert fetched.headers["content-type"] == "image/png"


def test_a_fifty_megabyte_upload_is_refused_before_it_is_read(client: TestClient) -> None:
    data = submit(client, request_body(client))
    blob = PDF + b"0" * 50_000_000
    resp = client.post(
        f"{API}/rr-submissions/{data['id']}/documents",
        files={"file": ("huge.pdf", blob, "application/pdf")},
        headers=bearer(data["token"]),
    )
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_submissions_are_rate_limited_like_the_lookup(
    client: TestClient, settings: Settings
) -> None:
    codes = [
        client.post(f"{API}/rr-submissions", json={"agreed": False}).status_code
        for _ in range(settings.lookup_rate_per_minute + 2)
    ]
    assert codes[: settings.lookup_rate_per_minute] == [422] * settings.lookup_rate_per_minute
    assert codes[-1] == 429


def test_an_rr_opened_by_staff_says_so(open_rr: Any) -> None:
    rr = open_rr()
    assert rr["source"] == "staff"
    assert rr["submission_id"] is None
    assert rr["policy_version"] is None


def test_a_staff_credit_return_also_needs_a_web_order(
    client: TestClient, staff: dict[str, str], session: Session
) -> None:
    resp = client.post(
        f"{API}/repair-requests", json=rr_payload(kind="credit_return"), headers=staff
    )
    assert resp.status_code == 422
    assert "proof_of_purchase.document_type" in _fields(resp)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(RepairRequest)) == 0


def test_the_policy_file_setting_replaces_the_shipped_text(
    settings: Settings, client: TestClient, tmp_path: Any
) -> None:
    shipped = client.get(f"{API}/policy").json()
    custom = tmp_path / "policy.txt"
    custom.write_text("Return Policy\nNew terms from 2027.\n", encoding="utf-8")
    settings.policy_file = custom
    doc = client.get(f"{API}/policy").json()
    assert doc["text"] == "Return Policy\nNew terms from 2027.\n"
    assert doc["version"] != shipped["version"]
    old = request_body(client)
    old["policy_version"] = shipped["version"]
    resp = client.post(f"{API}/rr-submissions", json=old)
    assert resp.status_code == 422
    assert _fields(resp) == ["policy_version"]
    assert client.post(f"{API}/rr-submissions", json=request_body(client)).status_code == 201


def test_a_missing_policy_file_is_refused_at_start(tmp_path: Any) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not a readable file"):
        Settings(policy_file=tmp_path / "nope.txt")


def test_a_request_keeps_at_most_ten_documents(client: TestClient) -> None:
    data = submit(client, request_body(client))
    url, auth = f"{API}/rr-submissions/{data['id']}/documents", bearer(data["token"])
    for i in range(10):
        pdf = PDF + str(i).encode()
        assert client.post(url, files={"file": (f"{i}.pdf", pdf, "application/pdf")},
                           headers=auth).status_code == 201  # fmt: skip
    extra = client.post(url, files={"file": ("x.pdf", PDF + b"x", "application/pdf")}, headers=auth)
    assert extra.status_code == 409
    again = client.post(url, files={"file": ("0.pdf", PDF + b"0", "application/pdf")}, headers=auth)
    assert again.status_code == 200  # a file it already has is still answered
