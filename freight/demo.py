"""`freight serve --demo`: a handful of RRs in different states, and printed sign-ins (email and
password for the pages) and tokens (for scripts) to try them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from freight.auth import accounts
from freight.auth.repository import user_by_email
from freight.auth.service import create_token
from freight.clock import utc_now
from freight.db import engine_for, session_factory, session_scope
from freight.repairs import service
from freight.repairs.models import RepairRequest
from freight.repairs.schemas import ReceiptIn, RepairRequestIn
from freight.settings import Settings

_ADDRESSES = {
    "US": ("Ada Lovelace", "1 Infinite Loop", "Cupertino", "CA", "95014"),
    "CA": ("Grace Hopper", "100 Queen St W", "Toronto", "ON", "M5H 2N2"),
    "DE": ("Emmy Noether", "Unter den Linden 6", "Berlin", None, "10117"),
    "JP": ("Hedy Lamarr", "1-1 Marunouchi", "Chiyoda-ku", "Tokyo", "100-0005"),
    "PR": ("Rita Moreno", "151 Calle San Francisco", "San Juan", "PR", "00901"),
}
# Carriers want the recipient's phone on every international label.
_PHONES = {
    "US": "+1 408 555 0101", "CA": "+1 416 555 0102", "DE": "+49 30 5550103",
    "JP": "+81 3 5550 0104", "PR": "+1 787 555 0105",
}  # fmt: skip


def _rr(serial: str, country: str, **extra: object) -> RepairRequestIn:
    name, street, city, state, postal = _ADDRESSES[country]
    email = name.split()[0].lower() + "@example.com"
    return RepairRequestIn.model_validate(
        {
            "serial_number": serial,
            "part_number": "MAX-1000",
            "product_description": "MAXCS phone system card",
            "customer": {"name": name, "email": email, "phone": _PHONES[country]},
            "return_address": {
                "name": name, "street1": street, "city": city, "state": state,
                "postal_code": postal, "country": country,
            },
            "proof_of_purchase": {"document_type": "invoice", "reference": f"INV-{serial}"},
            **extra,
        }
    )  # fmt: skip


def _online_request(session: Session, settings: Settings, now: datetime) -> None:
    """One online request with two units waiting in the review queue (/staff/review)."""
    from freight.agreement.service import current_policy
    from freight.submissions.schemas import SubmissionIn
    from freight.submissions.service import submit

    name, street, city, state, postal = _ADDRESSES["US"]
    body = SubmissionIn.model_validate(
        {
            "policy_version": current_policy(settings).version, "agreed": True,
            "customer": {"name": name, "email": "ada@example.com"},
            "return_address": {"name": name, "street1": street, "city": city, "state": state,
                               "postal_code": postal, "country": "US"},
            "units": [
                {"serial_number": s, "part_number": "MAX-1000", "product_description": "MAXCS card",
                 "fault_description": "No dial tone on port 3"}
                for s in ("DEMO-WEB-1", "DEMO-WEB-2")
            ],
            "proof_of_purchase": {"document_type": "invoice", "reference": "INV-WEB-1",
                                  "reseller": "Acme Phones"},
            "special_requirements": "Ship via FedEx",
        }
    )  # fmt: skip
    submit(session, data=body, client_address="127.0.0.1", user_agent="freight serve --demo",
           now=now, settings=settings)  # fmt: skip


def _rejected_on_arrival(session: Session, settings: Settings, now: datetime) -> None:
    """A unit that arrived damaged and unmarked: rejected with its reasons, a damage claim for the
    sender to file with UPS, and its return to sender prepared (the customer page shows all)."""
    rr = service.open_rr(
        session, data=_rr("DEMO-US-DMG", "US"), actor="demo", now=now - timedelta(days=4),
        settings=settings,
    )  # fmt: skip
    seen = ReceiptIn(
        rr_marked_on_carton=False, freight_collect=False, visible_damage=True,
        serial_number_seen="DEMO-US-DMG", carrier="ups", tracking_number="1Z999AA10123456784",
    )  # fmt: skip
    service.record_receipt(
        session, rr_number=rr.rr_number, data=seen, actor="demo", now=now, settings=settings
    )


DEMO_INVOICE = (
    "tracking_number,carrier,invoice_number,invoice_date,amount,currency,reason\n"
    "1Z999AA10123456784,ups,INV-DEMO-1,{day},4.75,USD,address correction\n"
    "1Z999DEMO0000001,ups,INV-DEMO-1,{day},12.40,USD,weight adjustment\n"
)


def _invoice(session: Session, now: datetime) -> None:
    """A carrier invoice already imported, so finance sees matched and unmatched lines."""
    from freight.finance.service import import_invoice

    import_invoice(session, text=DEMO_INVOICE.format(day=now.date().isoformat()), now=now)


def load_demo(settings: Settings, *, login_url: str | None = None) -> None:
    """Idempotent: loads once per database, then only prints fresh tokens."""
    factory = session_factory(engine_for(settings.db_url))
    now = utc_now()
    with session_scope(factory) as session:
        if session.scalar(select(RepairRequest.id).limit(1)) is None:
            for serial, country in [("DEMO-US-1", "US"), ("DEMO-CA-1", "CA"), ("DEMO-JP-1", "JP")]:
                service.open_rr(
                    session, data=_rr(serial, country), actor="demo", now=now, settings=settings
                )
            for serial, country in [("DEMO-DE-1", "DE"), ("DEMO-PR-1", "PR")]:
                insured = {
                    "insurance_requested": True,
                    "declared_value": {"amount": "450.00", "currency": "USD"},
                }
                rr = service.open_rr(
                    session, data=_rr(serial, country, **insured), actor="demo",
                    now=now - timedelta(days=3), settings=settings,
                )  # fmt: skip
                seen = ReceiptIn(
                    rr_marked_on_carton=True, freight_collect=False, visible_damage=False,
                    serial_number_seen=serial,
                )  # fmt: skip
                service.record_receipt(
                    session,
                    rr_number=rr.rr_number,
                    data=seen,
                    actor="demo",
                    now=now,
                    settings=settings,
                )
                for target in ("in_repair", "ready_to_ship"):
                    service.change_status(
                        session,
                        rr_number=rr.rr_number,
                        target=target,
                        note="demo",
                        actor="demo",
                        now=now,
                        settings=settings,
                    )
            _online_request(session, settings, now)
            _rejected_on_arrival(session, settings, now)
            _invoice(session, now)
        logins = [_login(session, settings, *who) for who in DEMO_USERS]
        staff = create_token(session, role="staff", name="demo-staff", actor="demo", now=now)
        finance = create_token(session, role="finance", name="demo-finance", actor="demo", now=now)
    # Shown to the person running the demo (passwords are fresh each start; only hashes are kept).
    login_url = login_url or f"{settings.public_base_url.rstrip('/')}/login"
    print(f"demo sign-in at {login_url}:")  # noqa: T201
    for (email, _name, role), password in zip(DEMO_USERS, logins, strict=True):
        print(f"  {role:8} {email:21}  password: {password}")  # noqa: T201
    print(f"demo staff token:   {staff}")  # noqa: T201
    print(f"demo finance token: {finance}")  # noqa: T201


DEMO_USERS = [
    ("desk@demo.example", "Dana Desk", "staff"),
    ("finance@demo.example", "Felix Ledger", "finance"),
    ("admin@demo.example", "Ada Admin", "admin"),
]


def _login(session: Session, settings: Settings, email: str, name: str, role: str) -> str:
    """A fresh password for a demo account (created on the first start)."""
    password = "demo-" + secrets.token_urlsafe(12)
    now = utc_now()
    existing = user_by_email(session, email)
    if existing is None:
        accounts.create_user(
            session, email=email, name=name, role=role, password=password, actor="demo",
            now=now, settings=settings,
        )  # fmt: skip
        return password
    if existing.disabled_at is not None:
        accounts.set_disabled(session, email=email, disabled=False, actor="demo", now=now)
    accounts.replace_password(session, email=email, password=password, actor="demo", now=now)
    return password
