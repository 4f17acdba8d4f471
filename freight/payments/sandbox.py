"""Sandbox payments provider: Stripe's test payment methods, holds kept in a SQLite file.

Used without FREIGHT_STRIPE_API_KEY. The file lives under the data dir so the API (which
authorizes) and workers (which capture) share it across processes. It behaves like Stripe where
the service relies on it: `pm_card_visa`, `pm_card_mastercard`, `pm_card_amex` succeed;
`pm_card_chargeDeclined` and `pm_card_insufficientFunds` are declined; any other token is an
unknown payment method; an idempotency key replays its first successful answer and is never
charged twice. Refunds against a reference the sandbox did not create (`pi_sbx_…` are its own)
stand for the web store's payments (credit returns, P-CREDIT): they are recorded as refunds of
that external payment. Every operation is recorded in `operations` so tests and the benchmark can
count captures against the service's own ledger.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from freight.money import Money
from freight.payments.port import (
    Authorization,
    CardDeclined,
    PaymentError,
    PaymentStateError,
    Settlement,
    UnknownPaymentMethod,
    from_minor,
    to_minor,
)

ACCEPTED = frozenset({"pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_discover"})
DECLINED: dict[str, tuple[str, str]] = {
    "pm_card_chargeDeclined": ("Your card was declined.", "generic_decline"),
    "pm_card_insufficientFunds": ("Your card has insufficient funds.", "insufficient_funds"),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
    payment_method TEXT NOT NULL, metadata TEXT NOT NULL,
    amount_captured INTEGER NOT NULL DEFAULT 0, amount_refunded INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, op TEXT NOT NULL, result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, intent TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL
);
"""
Json = dict[str, Any]
OWN_PREFIX = "pi_sbx_"  # payment intents this sandbox created


class SandboxPayments:
    """A PaymentsPort with Stripe's test card names, persistent and idempotent."""

    name = "sandbox"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)  # executescript manages its own transaction
        finally:
            db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    # --- port -------------------------------------------------------------------------------

    def authorize(
        self, amount: Money, payment_method: str, *, idempotency_key: str, metadata: dict[str, str]
    ) -> Authorization:
        """Hold `amount` on a test card (manual capture)."""
        result = self._once(
            "authorize",
            idempotency_key,
            lambda db: self._authorize(db, amount, payment_method, metadata, idempotency_key),
        )
        return Authorization(
            ref=result["id"],
            status="authorized",
            amount=from_minor(result["amount"], result["currency"]),
        )

    def capture(self, ref: str, amount: Money, *, idempotency_key: str) -> Settlement:
        """Capture up to the held amount; the same key never captures twice."""
        result = self._once(
            "capture", idempotency_key, lambda db: self._capture(db, ref, amount, idempotency_key)
        )
        return Settlement(ref, "captured", from_minor(result["amount"], result["currency"]))

    def cancel(self, ref: str, *, idempotency_key: str) -> Settlement:
        """Release an uncaptured hold."""
        result = self._once(
            "cancel", idempotency_key, lambda db: self._cancel(db, ref, idempotency_key)
        )
        return Settlement(ref, "cancelled", from_minor(result["amount"], result["currency"]))

    def refund(self, ref: str, amount: Money, *, idempotency_key: str) -> Settlement:
        """Refund captured money; the same key never refunds twice."""
        result = self._once(
            "refund", idempotency_key, lambda db: self._refund(db, ref, amount, idempotency_key)
        )
        return Settlement(
            ref, "refunded", from_minor(result["amount"], result["currency"]),
            refund_id=result.get("refund_id"),
        )  # fmt: skip

    # --- inspection (tests, benchmark, reconciliation checks) ---------------------------------

    def intent(self, ref: str) -> Json | None:
        """One PaymentIntent-like record."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM intents WHERE id = ?", (ref,)).fetchone()
            cols = [c[0] for c in db.execute("SELECT * FROM intents LIMIT 0").description]
        return dict(zip(cols, row, strict=True)) if row else None

    def operations(self, op: str | None = None) -> list[Json]:
        """Every authorize/capture/cancel/refund the sandbox performed, oldest first."""
        sql = "SELECT op, intent, amount, currency, key FROM operations"
        args: tuple[str, ...] = ()
        if op:
            sql, args = sql + " WHERE op = ?", (op,)
        with self._tx() as db:
            rows = db.execute(sql + " ORDER BY seq", args).fetchall()
        return [
            dict(zip(("op", "intent", "amount", "currency", "key"), r, strict=True)) for r in rows
        ]

    # --- internals ----------------------------------------------------------------------------

    def _once(self, op: str, key: str, fn: Any) -> Json:
        with self._tx() as db:
            row = db.execute("SELECT op, result FROM idempotency WHERE key = ?", (key,)).fetchone()
            if row is not None:
                if row[0] != op:
                    raise PaymentStateError(
                        "Keys for idempotent requests can only be used "
                        "with the same parameters they were first used with.",
                        code="idempotency_error",
                    )
                replayed: Json = json.loads(row[1])
                return replayed
            # Declines and errors roll back: nothing is recorded, a retry may succeed.
            result: Json = fn(db)
            db.execute("INSERT INTO idempotency VALUES (?, ?, ?)", (key, op, json.dumps(result)))
            return result

    def _authorize(
        self, db: sqlite3.Connection, amount: Money, pm: str, metadata: dict[str, str], key: str
    ) -> Json:
        if pm in DECLINED:
            reason, decline_code = DECLINED[pm]
            raise CardDeclined(reason, code="card_declined", decline_code=decline_code)
        if pm not in ACCEPTED:
            raise UnknownPaymentMethod(f"No such PaymentMethod: '{pm}'", code="resource_missing")
        if amount.amount <= 0:
            raise PaymentStateError("Amount must be positive.", code="amount_too_small")
        intent = "pi_sbx_" + secrets.token_hex(12)
        minor = to_minor(amount)
        db.execute(
            "INSERT INTO intents (id, amount, currency, status, payment_method, metadata, created)"
            " VALUES (?, ?, ?, 'requires_capture', ?, ?, ?)",
            (intent, minor, amount.currency, pm, json.dumps(metadata), time.time()),
        )
        self._record(db, "authorize", intent, minor, amount.currency, key)
        return {"id": intent, "amount": minor, "currency": amount.currency}

    def _load(self, db: sqlite3.Connection, ref: str) -> tuple[int, str, str, int, int]:
        row = db.execute(
            "SELECT amount, currency, status, amount_captured, amount_refunded "
            "FROM intents WHERE id = ?",
            (ref,),
        ).fetchone()
        if row is None:
            raise PaymentStateError(f"No such payment_intent: '{ref}'", code="resource_missing")
        return int(row[0]), str(row[1]), str(row[2]), int(row[3]), int(row[4])

    def _capture(self, db: sqlite3.Connection, ref: str, amount: Money, key: str) -> Json:
        held, currency, status, _, _ = self._load(db, ref)
        minor = to_minor(amount)
        if status != "requires_capture":
            raise _state(ref, status, "captured")
        if minor > held or minor <= 0:
            raise PaymentStateError(
                f"Amount to capture must be between 1 and {held}.", code="amount_too_large"
            )
        db.execute(
            "UPDATE intents SET status = 'succeeded', amount_captured = ? WHERE id = ?",
            (minor, ref),
        )
        self._record(db, "capture", ref, minor, currency, key)
        return {"id": ref, "amount": minor, "currency": currency}

    def _cancel(self, db: sqlite3.Connection, ref: str, key: str) -> Json:
        held, currency, status, _, _ = self._load(db, ref)
        if status != "requires_capture":
            raise _state(ref, status, "canceled")
        db.execute("UPDATE intents SET status = 'canceled' WHERE id = ?", (ref,))
        self._record(db, "cancel", ref, held, currency, key)
        return {"id": ref, "amount": held, "currency": currency}

    def _refund(self, db: sqlite3.Connection, ref: str, amount: Money, key: str) -> Json:
        if not ref.startswith(OWN_PREFIX):
            return self._external_refund(db, ref, amount, key)
        _, currency, status, captured, refunded = self._load(db, ref)
        minor = to_minor(amount)
        if status != "succeeded":
            raise _state(ref, status, "refunded")
        if minor <= 0 or minor > captured - refunded:
            raise PaymentStateError(
                f"Refund amount exceeds the {captured - refunded} left.",
                code="charge_already_refunded",
            )
        db.execute(
            "UPDATE intents SET amount_refunded = amount_refunded + ? WHERE id = ?", (minor, ref)
        )
        self._record(db, "refund", ref, minor, currency, key)
        return {"id": ref, "amount": minor, "currency": currency, "refund_id": _refund_id()}

    def _external_refund(self, db: sqlite3.Connection, ref: str, amount: Money, key: str) -> Json:
        """A refund of a payment taken elsewhere (the web store); recorded like any refund."""
        minor = to_minor(amount)
        if minor <= 0:
            raise PaymentStateError("Refund amount must be positive.", code="amount_too_small")
        self._record(db, "refund", ref, minor, amount.currency, key)
        return {"id": ref, "amount": minor, "currency": amount.currency, "refund_id": _refund_id()}

    def refunds(self, ref: str) -> list[Json]:
        """Every refund the sandbox made against one payment reference."""
        return [o for o in self.operations("refund") if o["intent"] == ref]

    @staticmethod
    def _record(
        db: sqlite3.Connection, op: str, intent: str, minor: int, currency: str, key: str
    ) -> None:
        db.execute(
            "INSERT INTO operations (op, intent, amount, currency, key, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (op, intent, minor, currency, key, time.time()),
        )


def _refund_id() -> str:
    return "re_sbx_" + secrets.token_hex(12)


def _state(ref: str, status: str, verb: str) -> PaymentError:
    return PaymentStateError(
        f"This PaymentIntent ({ref}) could not be {verb} because it has a status of {status}.",
        code="payment_intent_unexpected_state",
    )
