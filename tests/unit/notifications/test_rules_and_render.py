"""Which email when, rendered from templates; SMTP or outbox delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from freight.notifications import service
from freight.notifications.rules import (
    EMAILS,
    UnknownEmailError,
    dedup_key,
    outbox_name,
    subject_for,
)
from freight.settings import Settings

NOW = datetime(2026, 11, 2, 17, tzinfo=UTC)
CONTEXTS: dict[str, dict[str, Any]] = {
    "rr_issued": {"inbound_deadline": "2026-12-02"},
    "receipt_accepted": {"received_on": "2026-11-05", "repair_due": "2026-12-07"},
    "receipt_rejected": {"received_on": "2026-11-05", "return_terms": "Vendor pays.",
                         "reasons": ["The carton was not marked.", "COD package."]},
    "rr_cancelled_on_site": {"reason": "customer withdrew", "return_terms": "Vendor pays."},
    "quote_ready": {"amount": "48.10", "currency": "USD", "carrier": "DHL Express",
                    "service": "Worldwide", "expires_at": "2026-11-09"},
    "shipped": {"carrier": "UPS", "tracking_number": "1Z999AA10123456784",
                "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"},
    "delivered": {"delivered_on": "2026-11-10"},
    "card_reconfirm": {"quote_id": "quo_1", "amount": "42.10", "currency": "EUR"},
    "claim_opened": {"claim_id": "clm_1", "kind": "concealed_damage", "filer": "customer",
                     "carrier": "UPS", "file_by": "2027-01-09", "deadline_rule": "UPS: 60 days",
                     "evidence": ["Keep the packing material."], "filer_reason": "You file."},
    "rr_auto_cancelled": {"reason": "No carrier scan within 30 days", "rule": "P-30DAY",
                          "inbound_deadline": "2026-12-02"},
    "quote_expired": {"quote_id": "quo_1", "amount": "48.10 USD",
                      "carrier_service": "FedEx International Economy",
                      "expired_at": "2026-11-09 12:00 UTC"},
    "card_captured": {"authorized": "48.10 USD", "captured": "45.20 USD", "payment_id": "pay_1"},
    "payment_voided": {"authorized": "48.10 USD", "reason": "label voided"},
    "payment_refunded": {"refund": "45.20 USD", "captured": "45.20 USD",
                         "reason": "label voided"},
    "credit_refunded": {"price": "100.00 USD", "fee": "20.00 USD", "refund": "80.00 USD",
                        "fee_percent": "20", "payment_reference": "pi_web_1"},
}  # fmt: skip
_ADVANCE = {
    "price": "249.00 USD",
    "part_number": "ALT-GW-400",
    "due_date": "2 January 2027",
    "remind_date": "23 December 2026",
    "return_days": "30",
    "summary": "Card saved.",
}
CONTEXTS |= {kind: dict(_ADVANCE) for kind in (
    "advance_offered", "advance_card_saved", "advance_reminder", "advance_released",
    "advance_charged")}  # fmt: skip
CONTEXTS["advance_charge_failed"] = {**_ADVANCE, "reason": "Your card was declined."}
# Emails about an online request (no RR yet): they link the request's own page.
_REQUEST = {"submission_id": "sub_abc", "status_page": "http://127.0.0.1:8000/request/sub_abc#token=t",
            "token_days": 90}  # fmt: skip
SUBMISSION_CONTEXTS: dict[str, dict[str, Any]] = {
    "submission_received": {"kind_text": "repair", "policy_version": "2026-12-01.abc",
                            "units": [{"serial_number": "SN1", "part_number": "P-1",
                                       "warranty_status": "in_warranty"}]},
    "submission_info_requested": {"message": "Please upload the invoice."},
    "submission_reply_received": {},
    "submission_approved": {"rr_numbers": "RR-AAAA2222, RR-BBBB3333", "note": "",
                            "inbound_deadline": "2026-12-31",
                            "units": [{"serial_number": "SN1", "part_number": "P-1",
                                       "rr_number": "RR-AAAA2222"},
                                      {"serial_number": "SN2", "part_number": "P-1",
                                       "rr_number": "RR-BBBB3333"}]},
    "submission_declined": {"reason": "Not our product."},
}  # fmt: skip


def _settings(tmp_path: Path, **over: Any) -> Settings:
    return Settings(data_dir=tmp_path, env="test", **over)


def test_every_email_kind_has_a_test_context() -> None:
    assert set(CONTEXTS) | set(SUBMISSION_CONTEXTS) == set(EMAILS)


@pytest.mark.parametrize("kind", sorted(SUBMISSION_CONTEXTS))
def test_every_request_email_links_the_request_page(kind: str, tmp_path: Path) -> None:
    context = {"customer_name": "Ada", **_REQUEST, **SUBMISSION_CONTEXTS[kind]}
    subject, body = service.render(_settings(tmp_path), kind, context)
    assert "{{" not in body
    assert "{%" not in body
    assert "/request/sub_abc#token=t" in body
    assert "sub_abc" in subject or "RR-AAAA2222" in subject


def test_approval_email_gives_every_rr_number_the_window_and_the_labels(tmp_path: Path) -> None:
    context = {"customer_name": "Ada", **_REQUEST, **SUBMISSION_CONTEXTS["submission_approved"]}
    subject, body = service.render(_settings(tmp_path), "submission_approved", context)
    assert "RR-AAAA2222" in subject
    assert "RR-BBBB3333" in subject
    assert "RR-AAAA2222: serial SN1" in body
    assert "RR-BBBB3333: serial SN2" in body
    assert "2026-12-31" in body
    assert "carton label" in body.lower()
    assert "410 East Plumeria Drive" in body


def test_shipped_email_says_when_the_unit_is_a_replacement(tmp_path: Path) -> None:
    replacement = {"serial_number": "NEW-1", "replaces": "OLD-1", "condition": "reconditioned",
                   "ends_on": "2027-03-14"}  # fmt: skip
    context = {"rr_number": "RR-ABCD2345", "customer_name": "Ada", **CONTEXTS["shipped"],
               "replacement": replacement}  # fmt: skip
    _, body = service.render(_settings(tmp_path), "shipped", context)
    assert "REPLACEMENT" in body
    assert "reconditioned unit" in body
    assert "NEW-1" in body
    assert "OLD-1" in body
    assert "2027-03-14" in body
    _, plain = service.render(_settings(tmp_path), "shipped", {"rr_number": "RR-ABCD2345",
                                                               "customer_name": "Ada",
                                                               **CONTEXTS["shipped"]})  # fmt: skip
    assert "REPLACEMENT" not in plain


@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_every_email_renders_with_the_rr_number_and_tracking_page(
    kind: str, tmp_path: Path
) -> None:
    context = {"rr_number": "RR-ABCD2345", "customer_name": "Ada", **CONTEXTS[kind]}
    subject, body = service.render(_settings(tmp_path), kind, context)
    assert "RR-ABCD2345" in subject
    assert "http://127.0.0.1:8000/track/RR-ABCD2345" in body
    assert "{{" not in body
    assert "{%" not in body


def test_claim_email_says_who_files_by_when_and_what_to_keep(tmp_path: Path) -> None:
    context = {"rr_number": "RR-ABCD2345", "customer_name": "Ada", **CONTEXTS["claim_opened"]}
    subject, body = service.render(_settings(tmp_path), "claim_opened", context)
    assert "2027-01-09" in subject
    assert "UPS" in subject
    assert "you do" in body
    assert "Keep the packing material." in body
    assert "concealed damage" in body


def test_rejection_lists_every_reason(tmp_path: Path) -> None:
    context = {"rr_number": "RR-X1234567", "customer_name": "Ada", **CONTEXTS["receipt_rejected"]}
    _, body = service.render(_settings(tmp_path), "receipt_rejected", context)
    assert "- The carton was not marked." in body
    assert "- COD package." in body


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownEmailError):
        subject_for("birthday", {})


def test_keys_and_file_names_are_stable() -> None:
    key = dedup_key("RR-ABCD2345", "delivered", "shp_1")
    assert key == "notify:RR-ABCD2345:delivered:shp_1"
    assert outbox_name(key) == outbox_name(key)
    assert outbox_name(key).endswith(".eml")
    assert ":" not in outbox_name(key)


def test_without_smtp_the_message_lands_in_the_outbox_once(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    context = {"rr_number": "RR-ABCD2345", "customer_name": "Ada", **CONTEXTS["delivered"]}
    msg = service.build_message(settings, key="k1", kind="delivered", to="ada@example.com",
                                context=context, now=NOW)  # fmt: skip
    service.deliver(settings, msg, key="k1")
    service.deliver(settings, msg, key="k1")  # a retried job
    (path,) = (tmp_path / "outbox").iterdir()
    parsed = message_from_bytes(path.read_bytes())
    assert parsed["To"] == "ada@example.com"
    assert parsed["X-RR-Number"] == "RR-ABCD2345"


class FakeSMTP:
    sent: list[Any] = []
    calls: list[str] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.calls.append(f"connect {host}:{port} timeout={timeout:.0f}")

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *_: object) -> None:
        self.calls.append("quit")

    def starttls(self) -> None:
        self.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.calls.append(f"login {user}:{password}")

    def send_message(self, msg: Any) -> None:
        self.sent.append(msg)


def test_with_smtp_url_the_message_is_sent_by_smtp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("freight.notifications.service.smtplib.SMTP", FakeSMTP)
    settings = _settings(tmp_path, smtp_url="smtp://mailer:s3cret@mail.example:2525?starttls=true")
    context = {"rr_number": "RR-ABCD2345", "customer_name": "Ada", **CONTEXTS["delivered"]}
    msg = service.build_message(settings, key="k", kind="delivered", to="a@example.com",
                                context=context, now=NOW)  # fmt: skip
    assert service.deliver(settings, msg, key="k") == "smtp"
    assert FakeSMTP.calls == [
        "connect mail.example:2525 timeout=15",
        "starttls",
        "login mailer:s3cret",
        "quit",
    ]
    assert FakeSMTP.sent[-1]["Subject"].startswith("Delivered")
    assert not (tmp_path / "outbox").exists()


def _render(tmp_path: Path, email: str, **over: Any) -> tuple[str, str]:
    context = {"rr_number": "RR-ABCD2345", "customer_name": "Ada", **CONTEXTS[email], **over}
    return service.render(_settings(tmp_path), email, context)


def test_loss_claim_does_not_ask_to_keep_packaging(tmp_path: Path) -> None:
    from freight.claims.rules import evidence_checklist

    _, body = _render(tmp_path, "claim_opened", kind="loss", filer="vendor",
                      evidence=list(evidence_checklist("loss")))  # fmt: skip
    assert "looks lost" in body
    assert "packing material" not in body.lower()
    assert "Keep and gather" not in body
    assert "visible damage" not in body


def test_claim_without_a_carrier_names_none(tmp_path: Path) -> None:
    _, body = _render(tmp_path, "claim_opened", carrier="")
    assert "Carrier:" not in body
    assert "the carrier" not in body.split("File the claim")[0]


def test_new_messages_say_what_happened(tmp_path: Path) -> None:
    subject, body = _render(tmp_path, "card_captured")
    assert "45.20 USD" in subject
    assert "Held on your card:  48.10 USD" in body
    assert "Charged (captured): 45.20 USD" in body
    assert "expired" in _render(tmp_path, "quote_expired")[1]
    assert "FedEx International Economy" in _render(tmp_path, "quote_expired")[1]
    assert "cancelled" in _render(tmp_path, "rr_auto_cancelled")[0]
    assert "released" in _render(tmp_path, "payment_voided")[1]
    assert "refunded 45.20 USD" in _render(tmp_path, "payment_refunded")[1]


def test_links_follow_the_public_base_url(tmp_path: Path) -> None:
    settings = _settings(tmp_path, public_base_url="http://127.0.0.1:8123/")
    context = {"rr_number": "RR-ABCD2345", "customer_name": "Ada", **CONTEXTS["delivered"]}
    _, body = service.render(settings, "delivered", context)
    assert "http://127.0.0.1:8123/track/RR-ABCD2345" in body
    assert ":8000" not in body


def test_every_message_has_an_escaped_html_part(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    context = {"rr_number": "RR-ABCD2345", "customer_name": "<b>Ada</b> & Co",
               **CONTEXTS["card_captured"]}  # fmt: skip
    msg = service.build_message(settings, key="k2", kind="card_captured", to="ada@example.com",
                                context=context, now=NOW)  # fmt: skip
    parsed = message_from_bytes(bytes(msg))
    types = [part.get_content_type() for part in parsed.walk()]
    assert types == ["multipart/alternative", "text/plain", "text/html"]
    html = str(msg.get_body(("html",)).get_content())  # type: ignore[union-attr]
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; Co" in html
    assert '<a href="http://127.0.0.1:8000/track/RR-ABCD2345">' in html
    assert "45.20 USD" in html


@pytest.mark.parametrize(
    ("carrier", "service_", "expected"),
    [
        ("fedex", "FedEx International Economy", "FedEx International Economy"),
        ("fedex", "international_economy", "FedEx International Economy"),
        ("dhl_express", "Express Worldwide", "DHL Express Worldwide"),
        ("ups", "UPS Ground", "UPS Ground"),
        ("usps", "priority_mail", "USPS Priority Mail"),
        ("ups", None, "UPS"),
    ],
)
def test_carrier_and_service_name_the_carrier_once(
    carrier: str, service_: str | None, expected: str
) -> None:
    from freight.carrier_registry import service_name

    assert service_name(carrier, service_) == expected
