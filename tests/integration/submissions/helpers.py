"""Shared pieces for online-request tests: a valid request body, the policy version, emails."""

from __future__ import annotations

import itertools
from email import message_from_bytes
from email.message import Message
from typing import Any

from fastapi.testclient import TestClient

from freight.settings import Settings

API = "/api/v1"
_serials = itertools.count(1)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def serial() -> str:
    return f"ONL{next(_serials):05d}Z"


def policy_version(client: TestClient) -> str:
    resp = client.get(f"{API}/policy")
    assert resp.status_code == 200, resp.text
    version: str = resp.json()["version"]
    return version


def unit(serial_number: str | None = None, **over: Any) -> dict[str, Any]:
    body = {
        "serial_number": serial_number or serial(),
        "part_number": "MAX-1000",
        "product_description": "MAXCS phone system card",
        "fault_description": "No dial tone on port 3",
    }
    body.update(over)
    return body


def request_body(client: TestClient, *, units: int = 1, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "policy_version": policy_version(client),
        "agreed": True,
        "kind": "repair",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 555 0100"},
        "return_address": {
            "name": "Ada Lovelace",
            "street1": "1 Infinite Loop",
            "city": "Cupertino",
            "state": "CA",
            "postal_code": "95014",
            "country": "US",
        },
        "units": [unit() for _ in range(units)],
        "proof_of_purchase": {
            "document_type": "invoice",
            "reference": "INV-77",
            "reseller": "Acme Phones",
            "purchase_date": "2026-06-01",
        },
    }
    body.update(over)
    return body


def credit_body(client: TestClient, **over: Any) -> dict[str, Any]:
    body = request_body(
        client,
        kind="credit_return",
        proof_of_purchase={
            "document_type": "web_order",
            "reference": "WEB-1001",
            "price": {"amount": "249.99", "currency": "USD"},
            "payment_reference": "pi_web_1001",
            "purchase_date": "2026-10-20",
        },
        customer_received_at="2026-10-25T12:00:00Z",
    )
    body.update(over)
    return body


def submit(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(f"{API}/rr-submissions", json=body)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def outbox(settings: Settings) -> list[Message]:
    folder = settings.data_dir / "outbox"
    if not folder.exists():
        return []
    return [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def emails_of(settings: Settings, kind: str) -> list[Message]:
    return [m for m in outbox(settings) if m["X-Notification"] == kind]


def body_of(msg: Message) -> str:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()
