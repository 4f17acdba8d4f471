"""GET /api/v1/audit: who changed what, when (SPEC §9), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.integration.auth.conftest import sign_in
from tests.integration.conftest import Clock, rr_payload


def _audit(client: TestClient, admin: dict[str, str], **params: str) -> list[dict[str, Any]]:
    resp = client.get("/api/v1/audit", params=params, headers=admin)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def test_changes_sign_ins_and_refusals_are_on_record(
    client: TestClient, make_user: Callable[..., str], make_token: Callable[[str], dict[str, str]],
    clock: Clock,
) -> None:  # fmt: skip
    admin = make_token("admin")
    make_user("dana@example.com")
    client.post("/api/v1/session", json={"email": "dana@example.com", "password": "wrong"})
    csrf = sign_in(client, "dana@example.com")["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    rr = client.post("/api/v1/repair-requests", json=rr_payload(), headers=headers).json()
    clock.now += timedelta(minutes=1)
    bad = client.post(
        f"/api/v1/repair-requests/{rr['rr_number']}/status",
        json={"status": "closed", "note": ""}, headers=headers,
    )  # fmt: skip
    assert bad.status_code == 409
    client.post("/api/v1/repair-requests", json=rr_payload())  # no CSRF header: refused

    mine = _audit(client, admin, actor="dana@example.com")
    seen = [(e["action"], e["target"], e["outcome"], e["status_code"]) for e in mine]
    assert seen == [
        ("POST /api/v1/repair-requests", None, "refused", 403),
        ("POST /api/v1/repair-requests/{rr_number}/status", rr["rr_number"], "failed", 409),
        ("POST /api/v1/repair-requests", rr["rr_number"], "succeeded", 201),
        ("session.sign_in", "dana@example.com", "succeeded", 200),
        ("session.sign_in", "dana@example.com", "failed", 401),
    ]
    assert mine[1]["detail"].startswith("A Repair Request cannot move")
    assert mine[2]["role"] == "staff"
    # The failed move changed nothing; the made RR is there.
    got = client.get(f"/api/v1/repair-requests/{rr['rr_number']}", headers=admin).json()
    assert got["status"] == "issued"
    # User creation is on record too (by whoever made it).
    made = _audit(client, admin, action="user.create")
    assert [(e["actor"], e["target"]) for e in made] == [("test", "dana@example.com")]


def test_customer_and_token_changes_are_recorded_under_their_names(
    client: TestClient, staff: dict[str, str], make_token: Callable[[str], dict[str, str]]
) -> None:
    admin = make_token("admin")
    rr = client.post("/api/v1/repair-requests", json=rr_payload(), headers=staff).json()
    token = client.post(
        "/api/v1/track/lookup", json={"rr_number": rr["rr_number"], "email": "ada@example.com"}
    ).json()["token"]
    resp = client.post(
        f"/api/v1/repair-requests/{rr['rr_number']}/inbound-shipments",
        json={"carrier": "shippo", "tracking_number": "SHIPPO_TRANSIT"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 201, resp.text
    entries = _audit(client, admin)
    actors = [(e["actor"], e["action"]) for e in entries if e["action"].startswith("POST")]
    assert actors == [
        (
            f"customer:{rr['rr_number']}",
            "POST /api/v1/repair-requests/{rr_number}/inbound-shipments",
        ),
        ("token:test-staff", "POST /api/v1/repair-requests"),
    ]
    # Reads and read-only questions are not changes.
    client.post(
        "/api/v1/freight-terms", json={"direction": "outbound", "country": "DE"}, headers=staff
    )
    assert len(_audit(client, admin)) == len(entries)


def test_filters_by_actor_and_time_and_pages_with_a_cursor(
    client: TestClient, staff: dict[str, str], make_token: Callable[[str], dict[str, str]],
    clock: Clock,
) -> None:  # fmt: skip
    admin = make_token("admin")
    start = clock.now
    for _ in range(5):
        client.post("/api/v1/repair-requests", json=rr_payload(), headers=staff)
        clock.now += timedelta(hours=1)
    window = {
        "from": (start + timedelta(minutes=30)).isoformat(),
        "to": (start + timedelta(hours=3, minutes=30)).isoformat(),
    }
    in_window = _audit(client, admin, actor="token:test-staff", **window)
    assert len(in_window) == 3
    assert _audit(client, admin, actor="nobody@example.com") == []
    whole_day = _audit(client, admin, actor="token:test-staff", to=start.date().isoformat())
    assert len(whole_day) == 5  # a bare `to` date includes that whole day

    first = client.get(
        "/api/v1/audit", params={"limit": 2, "actor": "token:test-staff"}, headers=admin
    ).json()
    params = {"limit": 2, "actor": "token:test-staff", "cursor": first["next_cursor"]}
    second = client.get("/api/v1/audit", params=params, headers=admin).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 4


def test_audit_is_for_admins_and_checks_its_input(
    client: TestClient, staff: dict[str, str], make_token: Callable[[str], dict[str, str]]
) -> None:
    admin = make_token("admin")
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/api/v1/audit", headers=staff).status_code == 403
    assert client.get("/api/v1/audit", headers=make_token("finance")).status_code == 403
    for params, field in [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"to": ""}, "to"),
        ({"limit": "0"}, "limit"),
        ({"actor": "a\x00b"}, "actor"),
    ]:
        resp = client.get("/api/v1/audit", params=params, headers=admin)
        assert resp.status_code == 422, (params, resp.text)
        assert resp.json()["errors"][0]["field"] == field
