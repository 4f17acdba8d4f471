"""Customer damage reports on delivered outbound shipments, with photo uploads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from freight.claims.models import Claim
from freight.settings import Settings
from tests.integration.conftest import Clock
from tests.integration.tracking.helpers import (
    ACCEPTED,
    API,
    DAMAGED,
    DELIVERED,
    apply,
    customer_headers,
    make_outbound,
    tracking_info,
)

UPS = "1Z999AA10123456784"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x01" * 200


def _delivered(
    settings: Settings, clock: Clock, rr: dict[str, Any], steps: list[Any] | None = None
) -> str:
    shipment_id = make_outbound(
        settings, rr["rr_number"], carrier="ups", number=UPS, ship_date=clock.now
    )
    apply(
        settings, clock, tracking_info("ups", UPS, steps or [ACCEPTED, DELIVERED], start=clock.now)
    )
    return shipment_id


def _report(
    client: TestClient, rr: str, headers: dict[str, str], *, photos: list[Any] | None = None,
    **data: Any,
) -> Any:  # fmt: skip
    form = {"description": "Corner of the chassis is bent", "concealed": "false", **data}
    files = [("photos", p) for p in (photos or [])]
    return client.post(
        f"{API}/track/{rr}/damage-reports", data=form, files=files or None, headers=headers
    )


def _claims(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Claim)) or 0


def test_concealed_damage_report_opens_a_customer_claim_with_photos(
    client: TestClient, open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    shipment_id = _delivered(settings, clock, rr)
    headers = customer_headers(client, rr["rr_number"])
    resp = _report(
        client,
        rr["rr_number"],
        headers,
        concealed="true",
        photos=[("box.png", PNG, "image/png"), ("unit.jpg", JPEG, "image/jpeg")],
    )
    assert resp.status_code == 201, resp.text
    claim = resp.json()["claim"]
    assert (claim["source"], claim["kind"], claim["filer"], claim["shipment_id"]) == (
        "customer_report",
        "concealed_damage",
        "customer",
        shipment_id,
    )
    delivered_on = (clock.now + timedelta(hours=6)).date()
    assert claim["file_by"] == (delivered_on + timedelta(days=60)).isoformat()
    assert resp.json()["photos_stored"] == 2
    stored = sorted(p.suffix for p in (settings.data_dir / "claims" / claim["id"]).iterdir())
    assert stored == [".jpg", ".png"]
    again = _report(client, rr["rr_number"], headers, photos=[("box.png", PNG, "image/png")])
    assert again.json()["claim"]["id"] == claim["id"]
    assert again.json()["photos_stored"] == 0  # the same photo is kept once


def test_report_after_a_carrier_damage_event_updates_the_same_claim(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock, session: Session,
) -> None:  # fmt: skip
    rr = open_rr()
    _delivered(settings, clock, rr, [ACCEPTED, DAMAGED, DELIVERED])
    resp = _report(client, rr["rr_number"], customer_headers(client, rr["rr_number"]))
    assert resp.status_code == 201
    assert (resp.json()["claim"]["source"], resp.json()["claim"]["kind"]) == (
        "carrier_event",
        "damage",
    )
    assert _claims(session) == 1
    notes = client.get(f"{API}/claims", headers=staff).json()[0]["notes"]
    assert any("Corner of the chassis" in n["note"] for n in notes)


def test_no_report_before_delivery_or_on_another_customers_rr(
    client: TestClient, open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock,
    session: Session,
) -> None:  # fmt: skip
    mine, theirs = open_rr(), open_rr()
    make_outbound(settings, mine["rr_number"], carrier="ups", number=UPS, ship_date=clock.now)
    headers = customer_headers(client, mine["rr_number"])
    early = _report(client, mine["rr_number"], headers)
    assert early.status_code == 409
    assert "delivered" in early.json()["detail"]
    assert _report(client, theirs["rr_number"], headers).status_code == 403
    assert _claims(session) == 0


@pytest.mark.parametrize(
    ("photo", "status"),
    [
        (("notes.jpg", b"just some text, not a picture", "image/jpeg"), 422),
        (("huge.jpg", b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024), "image/jpeg"), 413),
    ],
    ids=["not-an-image", "50MB"],
)
def test_bad_photos_are_refused_naming_photos_and_nothing_is_stored(
    photo: tuple[str, bytes, str], status: int, client: TestClient,
    open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock, session: Session,
) -> None:  # fmt: skip
    rr = open_rr()
    _delivered(settings, clock, rr)
    resp = _report(
        client,
        rr["rr_number"],
        customer_headers(client, rr["rr_number"]),
        photos=[("ok.png", PNG, "image/png"), photo],
    )
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["field"] == "photos"
    assert _claims(session) == 0
    assert not Path(settings.data_dir / "claims").exists()


def test_description_is_required_and_bounded(
    client: TestClient, open_rr: Callable[..., dict[str, Any]], settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    _delivered(settings, clock, rr)
    headers = customer_headers(client, rr["rr_number"])
    for text in ("", "x" * 4001):
        resp = _report(client, rr["rr_number"], headers, description=text)
        assert resp.status_code == 422
        assert resp.json()["errors"][0]["field"] == "description"


def test_staff_see_the_customers_photos_and_customers_cannot_fetch_them(
    client: TestClient, staff: dict[str, str], open_rr: Callable[..., dict[str, Any]],
    settings: Settings, clock: Clock,
) -> None:  # fmt: skip
    rr = open_rr()
    _delivered(settings, clock, rr)
    headers = customer_headers(client, rr["rr_number"])
    resp = _report(client, rr["rr_number"], headers, concealed="true",
                   photos=[("unit.jpg", JPEG, "image/jpeg")])  # fmt: skip
    claim_id = resp.json()["claim"]["id"]
    detail = client.get(f"{API}/claims/{claim_id}", headers=staff).json()
    (photo,) = detail["photos"]
    assert photo["original_name"] == "unit.jpg"
    path = f"{API}/claims/{claim_id}/photos/{photo['file']}"
    shown = client.get(path, headers=staff)
    assert shown.status_code == 200
    assert (shown.headers["content-type"], shown.content) == ("image/jpeg", JPEG)
    assert client.get(path, headers=headers).status_code in (401, 403)  # staff only
    missing = client.get(f"{API}/claims/{claim_id}/photos/{'0' * 16}.png", headers=staff)
    assert missing.status_code == 404
    assert client.get(f"{API}/claims/{claim_id}/photos/..%2Fsecret", headers=staff).status_code in (
        404, 422,
    )  # fmt: skip
