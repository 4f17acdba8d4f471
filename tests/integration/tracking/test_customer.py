"""Customer tracking: lookup without enumeration, rate limit, the tracking page, carton label."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from freight.db import session_scope
from freight.quotes.models import Quote
from freight.settings import Settings
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import (
    ACCEPTED,
    API,
    DELIVERED,
    apply,
    customer_headers,
    factory,
    make_outbound,
    register,
    tracking_info,
)


def _lookup(client: TestClient, **body: str) -> Any:
    return client.post(f"{API}/track/lookup", json=body)


def test_lookup_by_email_or_postal_code_gives_a_24h_token(
    client: TestClient, open_rr: Callable[..., dict[str, Any]], clock: Clock
) -> None:
    rr = open_rr()["rr_number"]
    by_email = _lookup(client, rr_number=rr.lower(), email=" ADA@Example.com ")
    assert by_email.status_code == 200, by_email.text
    assert by_email.json()["token"].startswith("cust.")
    assert by_email.json()["expires_at"].startswith(
        (clock.now + timedelta(hours=24)).date().isoformat()
    )
    assert _lookup(client, rr_number=rr, postal_code="95 014").status_code == 200


def test_wrong_rr_and_wrong_email_get_the_same_answer(
    client: TestClient, open_rr: Callable[..., dict[str, Any]]
) -> None:
    rr = open_rr()["rr_number"]
    wrong_email = _lookup(client, rr_number=rr, email="eve@example.com")
    wrong_rr = _lookup(client, rr_number="RR-ZZZZ9999", email="ada@example.com")
    wrong_postal = _lookup(client, rr_number=rr, postal_code="10115")
    assert wrong_email.status_code == wrong_rr.status_code == wrong_postal.status_code == 404
    assert wrong_email.json() == wrong_rr.json() == wrong_postal.json()
    assert wrong_email.headers["content-type"].startswith("application/problem+json")
    assert _lookup(client, rr_number=rr).status_code == 422


def test_lookups_are_rate_limited_per_client(
    client: TestClient, open_rr: Callable[..., dict[str, Any]], settings: Settings
) -> None:
    rr = open_rr()["rr_number"]
    answers = [
        _lookup(client, rr_number=rr, email="eve@example.com").status_code
        for _ in range(settings.lookup_rate_per_minute)
    ]
    assert set(answers) == {404}
    limited = _lookup(client, rr_number=rr, email="ada@example.com")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


def test_tracking_page_for_a_new_rr_explains_what_to_do(
    client: TestClient, open_rr: Callable[..., dict[str, Any]]
) -> None:
    rr = open_rr()
    page = client.get(
        f"{API}/track/{rr['rr_number']}", headers=customer_headers(client, rr["rr_number"])
    )
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["status"] == "issued"
    assert "waiting for you to ship" in body["status_text"]
    steps = " ".join(body["next_steps"])
    assert rr["rr_number"] in steps
    assert "COD" in steps
    assert "Prepay" in steps
    assert body["deadlines"]["inbound_deadline"][:10] == rr["inbound_deadline"][:10]
    assert body["deadlines"]["inbound_window_satisfied"] is False
    assert body["inbound"] == []
    assert body["outbound"] == []
    assert body["open_quote"] is None


def test_a_customer_token_reads_only_its_own_rr(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    mine, theirs = open_rr(), open_rr()
    headers = customer_headers(client, mine["rr_number"])
    for path in ("", "/carton-label"):
        assert (
            client.get(f"{API}/track/{theirs['rr_number']}{path}", headers=headers).status_code
            == 403
        )
        assert client.get(f"{API}/track/RR-ZZZZ9999{path}", headers=headers).status_code == 403
    assert client.get(f"{API}/track/{mine['rr_number']}").status_code == 401
    assert (
        client.get(f"{API}/repair-requests/{mine['rr_number']}", headers=headers).status_code == 403
    )
    assert client.get(f"{API}/track/{theirs['rr_number']}", headers=staff).status_code == 200
    assert client.get(f"{API}/track/RR-ZZZZ9999", headers=staff).status_code == 404


def test_tracking_page_shows_inbound_events_outbound_and_the_open_quote(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    number = rr["rr_number"]
    register(client, staff, number, "usps", "9400111899223197428490")
    apply(
        settings,
        clock,
        tracking_info("usps", "9400111899223197428490", [ACCEPTED], start=clock.now),
    )
    outbound_id = make_outbound(
        settings,
        number,
        carrier="ups",
        number="1Z999AA10123456784",
        ship_date=clock.now,
        rr_status=None,
    )
    with session_scope(factory(settings)) as s:
        from freight.repairs.models import RepairRequest

        rr_id = s.query(RepairRequest.id).filter_by(rr_number=number).scalar()
        s.add(
            Quote(
                shipment_id=outbound_id,
                rr_id=rr_id,
                amount=Decimal("48.10"),
                currency="USD",
                carrier="dhl_express",
                service="Express Worldwide",
                rate_id="rate_1",
                estimated_days=3,
                expires_at=clock.now + timedelta(days=7),
                status="open",
            )
        )
    body = client.get(f"{API}/track/{number}", headers=customer_headers(client, number)).json()
    assert body["status"] == "inbound_in_transit"
    assert body["deadlines"]["inbound_window_satisfied"] is True
    assert [e["status"] for e in body["inbound"][0]["events"]] == ["TRANSIT"]
    assert body["outbound"][0]["tracking_number"] == "1Z999AA10123456784"
    assert body["outbound"][0]["label"] is None  # the label file is staff-only
    assert body["open_quote"]["amount"] == {"amount": "48.10", "currency": "USD"}


def test_after_delivery_the_page_says_inspect_for_damage(
    client: TestClient, open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock
) -> None:
    rr = open_rr()
    make_outbound(
        settings, rr["rr_number"], carrier="ups", number="1Z999AA10123456784", ship_date=clock.now
    )
    apply(
        settings,
        clock,
        tracking_info("ups", "1Z999AA10123456784", [ACCEPTED, DELIVERED], start=clock.now),
    )
    body = client.get(
        f"{API}/track/{rr['rr_number']}", headers=customer_headers(client, rr["rr_number"])
    ).json()
    assert body["status"] == "delivered"
    assert any("concealed damage" in step for step in body["next_steps"])


@pytest.mark.parametrize("who", ["customer", "staff"])
def test_carton_label_is_a_pdf_with_the_rr_number_and_no_cod(
    who: str, client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]]
) -> None:
    rr = open_rr()["rr_number"]
    headers = staff if who == "staff" else customer_headers(client, rr)
    resp = client.get(f"{API}/track/{rr}/carton-label", headers=headers)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF")
    assert rr.encode() in resp.content
    assert b"FREIGHT PREPAID" in resp.content
    assert b"NO COD" in resp.content
    assert b"410 East Plumeria Drive" in resp.content
