"""Sandbox payments provider: Stripe's test payment methods, intents kept in a SQLite file.

Used without FREIGHT_STRIPE_API_KEY. The file lives under the data dir so the API (which creates
and checks intents), the browser's card form (which confirms them through
freight.payments.sandbox_api, as Stripe.js does with Stripe) and workers (which capture) share it
across processes. It behaves like Stripe where the service relies on it:

- an intent is created unconfirmed (`requires_payment_method`) with manual capture; confirming it
  with `pm_card_visa`, `pm_card_mastercard`, `pm_card_amex`, `pm_card_discover` places the hold
  (`requires_capture`); `pm_card_chargeDeclined` and `pm_card_insufficientFunds` are declined
  (the intent goes back to `requires_payment_method` with `last_payment_error`);
- `pm_card_threeDSecure2Required` and `pm_card_authenticationRequired` (test card
  4000 0027 6000 3184) ask for a 3-D Secure challenge (`requires_action`) that the customer passes
  or fails; off-session (a re-authorization) `pm_card_authenticationRequired` fails with
  `authentication_required`, the other cards succeed;
- a hold lapses 7 days after it was placed (the intent is `canceled`, as Stripe does);
- every change emits a Stripe-shaped event, signed like Stripe (`Stripe-Signature: t=…,v1=…`) with
  the sandbox's own secret and POSTed to the webhook URL when one is set;
- an idempotency key replays its first successful answer and is never charged twice;
- cards are saved for later with SetupIntents (`setup_intents`; the same test cards save,
  decline or ask for a challenge) and charged off-session (op `charge`, once per key:
  `pm_card_authenticationRequired` fails with `authentication_required`, the declining cards
  decline).

Refunds against a reference the sandbox did not create (`pi_sbx_…` are its own) stand for the web
store's payments (credit returns, P-CREDIT): they are recorded as refunds of that external
payment. Every hold, capture, charge, cancel and refund is recorded in `operations` so tests and the
benchmark can count captures against the service's own ledger.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from freight.money import Money
from freight.payments.port import (
    AuthenticationRequired,
    Authorization,
    CardDeclined,
    Charge,
    Intent,
    PaymentError,
    PaymentStateError,
    Settlement,
    SetupIntent,
    UnknownPaymentMethod,
    from_minor,
    to_minor,
)

log = logging.getLogger("freight.payments.sandbox")

ACCEPTED = frozenset({"pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_discover"})
DECLINED: dict[str, tuple[str, str]] = {
    "pm_card_chargeDeclined": ("Your card was declined.", "generic_decline"),
    "pm_card_insufficientFunds": ("Your card has insufficient funds.", "insufficient_funds"),
}
CHALLENGED = frozenset({"pm_card_threeDSecure2Required", "pm_card_authenticationRequired"})
OFF_SESSION_REFUSED = frozenset({"pm_card_authenticationRequired"})
AUTH_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment "
    "method and try again."
)
OFF_SESSION_FAILED = "Your card was declined. This transaction requires authentication."
HOLD_SECONDS = 7 * 24 * 3600  # an uncaptured card hold lapses after 7 days
_UNSETTLED = ("requires_payment_method", "requires_confirmation", "requires_action")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_intents (
    id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
    payment_method TEXT, customer TEXT, client_secret TEXT NOT NULL, metadata TEXT NOT NULL,
    amount_captured INTEGER NOT NULL DEFAULT 0, amount_refunded INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, authorized_at REAL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, op TEXT NOT NULL, result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, intent TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS setup_intents (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, customer TEXT NOT NULL, client_secret TEXT NOT NULL,
    payment_method TEXT, metadata TEXT NOT NULL, last_error TEXT, created REAL NOT NULL
);
"""
SETUP_PREFIX = "seti_sbx_"  # setup intents this sandbox created
Json = dict[str, Any]
OWN_PREFIX = "pi_sbx_"  # payment intents this sandbox created


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """A Stripe-Signature header value for `payload` (HMAC-SHA256 of `t.payload`)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _wal(db: sqlite3.Connection) -> None:
    """WAL mode, once per file. Switching needs the file to itself and SQLite answers "locked"
    at once (no busy wait) while another process's first request is doing the same, so the
    switch is skipped when done and retried briefly otherwise."""
    for attempt in range(50):
        if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            return
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)


class SandboxPayments:
    """A PaymentsPort with Stripe's test card names, persistent and idempotent."""

    name = "sandbox"
    publishable_key: str | None = None

    def __init__(self, path: str | Path, *, webhook_url: str | None = None) -> None:
        self.path = str(path)
        self.webhook_url = webhook_url
        self.clock: Callable[[], float] = time.time  # tests move it to age holds
        self._outbox: queue.Queue[str] | None = None
        self._outbox_lock = threading.Lock()
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            _wal(db)
            db.executescript(_SCHEMA)  # executescript manages its own transaction
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('webhook_secret', ?)",
                ("whsec_sbx_" + secrets.token_hex(24),),
            )
            row = db.execute("SELECT value FROM meta WHERE key = 'webhook_secret'").fetchone()
        finally:
            db.close()
        self.webhook_secret: str | None = str(row[0])

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        fresh: list[str] = []
        try:
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("BEGIN IMMEDIATE")
            before = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if self.webhook_url:
                rows = db.execute(
                    "SELECT payload FROM events WHERE seq > ? ORDER BY seq", (before,)
                )
                fresh = [str(r[0]) for r in rows]
            db.execute("COMMIT")
        finally:
            db.close()
        if fresh:
            self._deliver(fresh)

    # --- port -------------------------------------------------------------------------------

    def create_intent(
        self, amount: Money, *, idempotency_key: str, metadata: dict[str, str], email: str | None
    ) -> Intent:
        """An unconfirmed manual-capture intent (one per key)."""
        del email  # the sandbox's customers have no address book
        result = self._once(
            "create", idempotency_key, lambda db: self._create(db, amount, metadata)
        )
        return self.retrieve_intent(str(result["id"]))

    def confirm_intent(self, ref: str, payment_method: str, *, idempotency_key: str) -> Intent:
        """Confirm on-session with a test payment method (the server-side path)."""
        del idempotency_key  # confirming twice is safe: an intent holds at most once
        return self._confirm(ref, payment_method, client_secret=None)

    def retrieve_intent(self, ref: str) -> Intent:
        """The intent now (a hold past 7 days has lapsed)."""
        with self._tx() as db:
            data = self._intent_json(db, ref)
        return intent_of(data)

    def reauthorize(
        self,
        amount: Money,
        *,
        customer: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> Intent:
        """A new hold off-session with a saved card; some banks want the customer again."""

        def run(db: sqlite3.Connection) -> Json:
            return self._off_session(
                db, amount, customer, payment_method, metadata, idempotency_key
            )

        result = self._once("reauthorize", idempotency_key, run)
        intent = self.retrieve_intent(str(result["id"]))
        if intent.status != "requires_capture":
            if intent.error_code == "authentication_required":
                raise AuthenticationRequired(intent.reason or OFF_SESSION_FAILED, ref=intent.ref)
            raise CardDeclined(
                intent.reason or "Your card was declined.", decline_code=intent.error_code
            )
        return intent

    def authorize(
        self, amount: Money, payment_method: str, *, idempotency_key: str, metadata: dict[str, str]
    ) -> Authorization:
        """Create and confirm in one step (scripts and tests); a challenge is not a hold."""
        intent = self.create_intent(
            amount, idempotency_key=idempotency_key, metadata=metadata, email=None
        )
        if intent.status != "requires_capture":
            intent = self.confirm_intent(intent.ref, payment_method, idempotency_key="")
        if intent.status != "requires_capture":
            raise PaymentStateError(f"The payment needs {intent.status}.", code=intent.status)
        return Authorization(ref=intent.ref, status="authorized", amount=intent.amount)

    # --- the browser's side (what Stripe.js does with the client secret) ----------------------

    def confirm_from_browser(self, ref: str, client_secret: str, payment_method: str) -> Json:
        """The card form confirms with the client secret; the intent as Stripe.js would see it."""
        try:
            self._confirm(ref, payment_method, client_secret=client_secret)
        except (CardDeclined, UnknownPaymentMethod):
            pass  # the intent carries last_payment_error; the form shows it
        return self.public_json(ref, client_secret)

    def challenge(self, ref: str, client_secret: str, *, passed: bool) -> Json:
        """The customer completes (or fails, or closes) the 3-D Secure challenge."""
        with self._tx() as db:
            data = self._intent_json(db, ref)
            _check_secret(data, client_secret)
            if data["status"] != "requires_action":
                raise _state(ref, data["status"], "authenticated")
            if passed:
                self._hold(db, ref, data)
            else:
                error = {"code": "payment_intent_authentication_failure", "message": AUTH_FAILED,
                         "type": "card_error"}  # fmt: skip
                self._set(db, ref, status="requires_payment_method", last_error=json.dumps(error))
                self._event(db, "payment_intent.payment_failed", ref)
        return self.public_json(ref, client_secret)

    def public_json(self, ref: str, client_secret: str) -> Json:
        """The fields a publishable key may read (no metadata, no customer)."""
        with self._tx() as db:
            data = self._intent_json(db, ref)
        _check_secret(data, client_secret)
        keep = ("id", "object", "amount", "currency", "status", "next_action",
                "last_payment_error", "client_secret", "capture_method")  # fmt: skip
        return {k: data[k] for k in keep}

    # --- port: capture, cancel, refund --------------------------------------------------------

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

    # --- port: saved cards and off-session charges (advance replacement) --------------------

    def create_setup_intent(
        self, *, idempotency_key: str, metadata: dict[str, str], email: str | None
    ) -> SetupIntent:
        """An unconfirmed SetupIntent for a new sandbox customer (one per key)."""
        del email
        result = self._once("setup", idempotency_key, lambda db: self._create_setup(db, metadata))
        return self.retrieve_setup_intent(str(result["id"]))

    def confirm_setup_intent(
        self, ref: str, payment_method: str, *, idempotency_key: str
    ) -> SetupIntent:
        """Confirm with a test payment method: the accepted cards are saved (`succeeded`), the
        declining ones are declined, the 3-D Secure ones ask for a challenge."""
        del idempotency_key  # confirming twice saves one card
        return self._confirm_setup(ref, payment_method, client_secret=None)

    def retrieve_setup_intent(self, ref: str) -> SetupIntent:
        with self._tx() as db:
            data = self._setup_json(db, ref)
        return setup_of(data)

    def confirm_setup_from_browser(self, ref: str, client_secret: str, payment_method: str) -> Json:
        """What Stripe.js's confirmCardSetup does with the client secret."""
        try:
            self._confirm_setup(ref, payment_method, client_secret=client_secret)
        except (CardDeclined, UnknownPaymentMethod):
            pass  # the intent carries last_setup_error; the form shows it
        return self.public_setup_json(ref, client_secret)

    def challenge_setup(self, ref: str, client_secret: str, *, passed: bool) -> Json:
        """The customer passes (or fails) the 3-D Secure challenge of a SetupIntent."""
        with self._tx() as db:
            data = self._setup_json(db, ref)
            _check_secret(data, client_secret)
            if data["status"] != "requires_action":
                raise PaymentStateError(
                    f"This SetupIntent ({ref}) has a status of {data['status']}.",
                    code="setup_intent_unexpected_state",
                )
            if passed:
                self._set_setup(db, ref, status="succeeded", last_error=None)
                self._event(db, "setup_intent.succeeded", ref, self._setup_json(db, ref))
            else:
                error = {"code": "setup_intent_authentication_failure", "message": AUTH_FAILED,
                         "type": "card_error"}  # fmt: skip
                self._set_setup(db, ref, status="requires_payment_method",
                                last_error=json.dumps(error))  # fmt: skip
                self._event(db, "setup_intent.setup_failed", ref, self._setup_json(db, ref))
        return self.public_setup_json(ref, client_secret)

    def public_setup_json(self, ref: str, client_secret: str) -> Json:
        with self._tx() as db:
            data = self._setup_json(db, ref)
        _check_secret(data, client_secret)
        keep = ("id", "object", "status", "next_action", "last_setup_error", "client_secret",
                "usage", "payment_method")  # fmt: skip
        return {k: data[k] for k in keep}

    def charge_off_session(
        self,
        amount: Money,
        *,
        customer: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> Charge:
        """Charge a saved card without the customer (op `charge`); once per key: a replay
        answers the first outcome, a decline included."""

        def run(db: sqlite3.Connection) -> Json:
            return self._charge(db, amount, customer, payment_method, metadata, idempotency_key)

        result = self._once("charge", idempotency_key, run)
        intent = self.retrieve_intent(str(result["id"]))
        if intent.status != "succeeded":
            if intent.error_code == "authentication_required":
                raise AuthenticationRequired(intent.reason or OFF_SESSION_FAILED, ref=intent.ref)
            raise CardDeclined(
                intent.reason or "Your card was declined.", decline_code=intent.error_code
            )
        return Charge(ref=intent.ref, status="succeeded", amount=intent.amount)

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The succeeded charge made with this key (None if none was made or it failed)."""
        with self._tx() as db:
            row = db.execute(
                "SELECT result FROM idempotency WHERE key = ? AND op = 'charge'",
                (idempotency_key,),
            ).fetchone()
            data = self._intent_json(db, str(json.loads(row[0])["id"])) if row else None
        if data is None or data["status"] != "succeeded":
            return None
        intent = intent_of(data)
        return Charge(ref=intent.ref, status="succeeded", amount=intent.amount)

    # --- inspection (tests, benchmark, reconciliation checks) ---------------------------------

    def intent(self, ref: str) -> Json | None:
        """One PaymentIntent-like record (the stored row)."""
        with self._tx() as db:
            cur = db.execute("SELECT * FROM payment_intents WHERE id = ?", (ref,))
            row = cur.fetchone()
            cols = [c[0] for c in cur.description]
        return dict(zip(cols, row, strict=True)) if row else None

    def operations(self, op: str | None = None) -> list[Json]:
        """Every hold/capture/cancel/refund the sandbox performed, oldest first."""
        sql = "SELECT op, intent, amount, currency, key FROM operations"
        args: tuple[str, ...] = ()
        if op:
            sql, args = sql + " WHERE op = ?", (op,)
        with self._tx() as db:
            rows = db.execute(sql + " ORDER BY seq", args).fetchall()
        return [
            dict(zip(("op", "intent", "amount", "currency", "key"), r, strict=True)) for r in rows
        ]

    def events(self) -> list[Json]:
        """Every Stripe-shaped event the sandbox emitted, oldest first."""
        with self._tx() as db:
            rows = db.execute("SELECT payload FROM events ORDER BY seq").fetchall()
        return [json.loads(r[0]) for r in rows]

    def refunds(self, ref: str) -> list[Json]:
        """Every refund the sandbox made against one payment reference."""
        return [o for o in self.operations("refund") if o["intent"] == ref]

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
            # Errors roll back: nothing is recorded, a retry may succeed.
            result: Json = fn(db)
            db.execute("INSERT INTO idempotency VALUES (?, ?, ?)", (key, op, json.dumps(result)))
            return result

    def _create(self, db: sqlite3.Connection, amount: Money, metadata: dict[str, str]) -> Json:
        if amount.amount <= 0:
            raise PaymentStateError("Amount must be positive.", code="amount_too_small")
        ref = OWN_PREFIX + secrets.token_hex(12)
        db.execute(
            "INSERT INTO payment_intents (id, amount, currency, status, customer, client_secret,"
            " metadata, created) VALUES (?, ?, ?, 'requires_payment_method', ?, ?, ?, ?)",
            (ref, to_minor(amount), amount.currency, "cus_sbx_" + secrets.token_hex(8),
             f"{ref}_secret_{secrets.token_hex(12)}", json.dumps(metadata), self.clock()),
        )  # fmt: skip
        self._event(db, "payment_intent.created", ref)
        return {"id": ref}

    def _confirm(self, ref: str, pm: str, *, client_secret: str | None) -> Intent:
        declined: CardDeclined | None = None
        with self._tx() as db:
            data = self._intent_json(db, ref)
            if client_secret is not None:
                _check_secret(data, client_secret)
            if data["status"] == "requires_capture":
                return intent_of(data)  # already held: confirming again holds nothing more
            if data["status"] not in _UNSETTLED:
                raise _state(ref, data["status"], "confirmed")
            if pm not in ACCEPTED | CHALLENGED | DECLINED.keys():
                raise UnknownPaymentMethod(
                    f"No such PaymentMethod: '{pm}'", code="resource_missing"
                )
            self._set(db, ref, payment_method=pm, last_error=None)
            if pm in DECLINED:
                reason, code = DECLINED[pm]
                error = {"type": "card_error", "code": "card_declined", "decline_code": code,
                         "message": reason}  # fmt: skip
                self._set(db, ref, status="requires_payment_method", last_error=json.dumps(error))
                self._event(db, "payment_intent.payment_failed", ref)
                declined = CardDeclined(reason, code="card_declined", decline_code=code)
            elif pm in CHALLENGED:
                self._set(db, ref, status="requires_action")
                self._event(db, "payment_intent.requires_action", ref)
            else:
                self._hold(db, ref, data)
        if declined is not None:
            raise declined  # after the commit: the intent keeps its last_payment_error
        return self.retrieve_intent(ref)

    def _off_session(
        self, db: sqlite3.Connection, amount: Money, customer: str, pm: str,
        metadata: dict[str, str], key: str,
    ) -> Json:  # fmt: skip
        if pm not in ACCEPTED | CHALLENGED | DECLINED.keys():
            raise UnknownPaymentMethod(f"No such PaymentMethod: '{pm}'", code="resource_missing")
        created = self._create(db, amount, metadata)
        ref = str(created["id"])
        self._set(db, ref, customer=customer, payment_method=pm)
        if pm in OFF_SESSION_REFUSED or pm in DECLINED:
            reason, code = DECLINED.get(pm, (OFF_SESSION_FAILED, "authentication_required"))
            error = {"type": "card_error", "code": "card_declined" if pm in DECLINED else code,
                     "decline_code": code, "message": reason}  # fmt: skip
            self._set(db, ref, status="requires_payment_method", last_error=json.dumps(error))
            self._event(db, "payment_intent.payment_failed", ref)
        else:
            self._hold(db, ref, self._intent_json(db, ref), key=key)
        return created

    def _charge(
        self, db: sqlite3.Connection, amount: Money, customer: str, pm: str,
        metadata: dict[str, str], key: str,
    ) -> Json:  # fmt: skip
        if pm not in ACCEPTED | CHALLENGED | DECLINED.keys():
            raise UnknownPaymentMethod(f"No such PaymentMethod: '{pm}'", code="resource_missing")
        created = self._create(db, amount, {**metadata, "charge_key": key})
        ref = str(created["id"])
        self._set(db, ref, customer=customer, payment_method=pm)
        if pm in OFF_SESSION_REFUSED or pm in DECLINED:
            reason, code = DECLINED.get(pm, (OFF_SESSION_FAILED, "authentication_required"))
            error = {"type": "card_error", "code": "card_declined" if pm in DECLINED else code,
                     "decline_code": code, "message": reason}  # fmt: skip
            self._set(db, ref, status="requires_payment_method", last_error=json.dumps(error))
            self._event(db, "payment_intent.payment_failed", ref)
        else:
            minor = to_minor(amount)
            self._set(db, ref, status="succeeded", amount_captured=minor)
            self._record(db, "charge", ref, minor, amount.currency, key)
            self._event(db, "payment_intent.succeeded", ref)
        return created

    def _create_setup(self, db: sqlite3.Connection, metadata: dict[str, str]) -> Json:
        ref = SETUP_PREFIX + secrets.token_hex(12)
        db.execute(
            "INSERT INTO setup_intents (id, status, customer, client_secret, metadata, created)"
            " VALUES (?, 'requires_payment_method', ?, ?, ?, ?)",
            (ref, "cus_sbx_" + secrets.token_hex(8), f"{ref}_secret_{secrets.token_hex(12)}",
             json.dumps(metadata), self.clock()),
        )  # fmt: skip
        self._event(db, "setup_intent.created", ref, self._setup_json(db, ref))
        return {"id": ref}

    def _confirm_setup(self, ref: str, pm: str, *, client_secret: str | None) -> SetupIntent:
        declined: CardDeclined | None = None
        with self._tx() as db:
            data = self._setup_json(db, ref)
            if client_secret is not None:
                _check_secret(data, client_secret)
            if data["status"] == "succeeded":
                return setup_of(data)  # saved already
            if data["status"] not in _UNSETTLED:
                raise PaymentStateError(
                    f"This SetupIntent ({ref}) could not be confirmed because it has a status "
                    f"of {data['status']}.", code="setup_intent_unexpected_state",
                )  # fmt: skip
            if pm not in ACCEPTED | CHALLENGED | DECLINED.keys():
                raise UnknownPaymentMethod(
                    f"No such PaymentMethod: '{pm}'", code="resource_missing"
                )
            self._set_setup(db, ref, payment_method=pm, last_error=None)
            if pm in DECLINED:
                reason, code = DECLINED[pm]
                error = {"type": "card_error", "code": "card_declined", "decline_code": code,
                         "message": reason}  # fmt: skip
                self._set_setup(db, ref, status="requires_payment_method",
                                last_error=json.dumps(error))  # fmt: skip
                self._event(db, "setup_intent.setup_failed", ref, self._setup_json(db, ref))
                declined = CardDeclined(reason, code="card_declined", decline_code=code)
            elif pm in CHALLENGED:
                self._set_setup(db, ref, status="requires_action")
                self._event(db, "setup_intent.requires_action", ref, self._setup_json(db, ref))
            else:
                self._set_setup(db, ref, status="succeeded")
                self._event(db, "setup_intent.succeeded", ref, self._setup_json(db, ref))
        if declined is not None:
            raise declined  # after the commit: the intent keeps its last_setup_error
        return self.retrieve_setup_intent(ref)

    def _set_setup(self, db: sqlite3.Connection, ref: str, **values: Any) -> None:
        cols = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE setup_intents SET {cols} WHERE id = ?", (*values.values(), ref))  # noqa: S608 - column names are ours

    def _setup_json(self, db: sqlite3.Connection, ref: str) -> Json:
        """The stored SetupIntent in Stripe's shape."""
        cur = db.execute("SELECT * FROM setup_intents WHERE id = ?", (ref,))
        row = cur.fetchone()
        if row is None:
            raise PaymentStateError(f"No such setup_intent: '{ref}'", code="resource_missing")
        data = dict(zip([c[0] for c in cur.description], row, strict=True))
        status = data["status"]
        return {
            "id": data["id"], "object": "setup_intent", "status": status, "usage": "off_session",
            "customer": data["customer"], "client_secret": data["client_secret"],
            "payment_method": data["payment_method"] if status == "succeeded" else None,
            "payment_method_types": ["card"], "livemode": False,
            "last_setup_error": json.loads(data["last_error"]) if data["last_error"] else None,
            "next_action": {"type": "use_stripe_sdk"} if status == "requires_action" else None,
            "metadata": json.loads(data["metadata"]), "created": int(data["created"]),
        }  # fmt: skip

    def _hold(self, db: sqlite3.Connection, ref: str, data: Json, *, key: str = "") -> None:
        self._set(db, ref, status="requires_capture", authorized_at=self.clock(), last_error=None)
        self._record(
            db, "authorize", ref, int(data["amount"]), data["currency"].upper(), key or ref
        )
        self._event(db, "payment_intent.amount_capturable_updated", ref)

    def _set(self, db: sqlite3.Connection, ref: str, **values: Any) -> None:
        cols = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE payment_intents SET {cols} WHERE id = ?", (*values.values(), ref))  # noqa: S608 - column names are ours

    def _row(self, db: sqlite3.Connection, ref: str) -> Json:
        cur = db.execute("SELECT * FROM payment_intents WHERE id = ?", (ref,))
        row = cur.fetchone()
        if row is None:
            raise PaymentStateError(f"No such payment_intent: '{ref}'", code="resource_missing")
        data = dict(zip([c[0] for c in cur.description], row, strict=True))
        lapsed = (
            data["authorized_at"] is not None
            and self.clock() - data["authorized_at"] > HOLD_SECONDS
        )
        if data["status"] == "requires_capture" and lapsed:
            # Stripe cancels an uncaptured hold when the card network's authorization expires.
            self._set(db, ref, status="canceled")
            self._event(db, "payment_intent.canceled", ref)
            data["status"] = "canceled"
        return data

    def _intent_json(self, db: sqlite3.Connection, ref: str) -> Json:
        """The stored intent in Stripe's PaymentIntent shape."""
        row = self._row(db, ref)
        status = row["status"]
        lapsed = row["authorized_at"] is not None and row["amount_captured"] == 0
        return {
            "id": row["id"], "object": "payment_intent", "amount": row["amount"],
            "amount_capturable": row["amount"] if status == "requires_capture" else 0,
            "amount_received": row["amount_captured"], "currency": row["currency"].lower(),
            "status": status, "capture_method": "manual", "client_secret": row["client_secret"],
            "customer": row["customer"], "payment_method": row["payment_method"],
            "setup_future_usage": "off_session", "livemode": False,
            "last_payment_error": json.loads(row["last_error"]) if row["last_error"] else None,
            "next_action": {"type": "use_stripe_sdk"} if status == "requires_action" else None,
            "metadata": json.loads(row["metadata"]), "created": int(row["created"]),
            "cancellation_reason": "automatic" if status == "canceled" and lapsed else None,
        }  # fmt: skip

    def _event(self, db: sqlite3.Connection, kind: str, ref: str, obj: Json | None = None) -> None:
        event = {
            "id": "evt_sbx_" + secrets.token_hex(12), "object": "event",
            "api_version": "2024-06-20", "created": int(self.clock()), "livemode": False,
            "type": kind, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
            "data": {"object": obj if obj is not None else self._intent_json(db, ref)},
        }  # fmt: skip
        db.execute(
            "INSERT INTO events (id, type, payload) VALUES (?, ?, ?)",
            (event["id"], kind, json.dumps(event)),
        )

    def _deliver(self, payloads: list[str]) -> None:
        """Queue the events for one background sender, which POSTs them signed in the order they
        happened (a failed delivery is the poll's to cover, as with Stripe's retries)."""
        with self._outbox_lock:
            if self._outbox is None:
                self._outbox = queue.Queue()
                threading.Thread(
                    target=self._send_forever, args=(self._outbox,), daemon=True,
                    name="sandbox-stripe-webhooks",
                ).start()  # fmt: skip
            for body in payloads:
                self._outbox.put(body)

    def _send_forever(self, outbox: queue.Queue[str]) -> None:
        secret = self.webhook_secret or ""
        while True:
            data = outbox.get().encode()
            headers = {
                "Stripe-Signature": sign(data, secret, int(time.time())),
                "Content-Type": "application/json",
            }
            try:
                httpx.post(self.webhook_url or "", content=data, timeout=10.0, headers=headers)
            except httpx.HTTPError as exc:
                extra = {"event": "sandbox.webhook.failed", "reason": str(exc)}
                log.warning("sandbox.webhook.failed", extra=extra)

    def _load(self, db: sqlite3.Connection, ref: str) -> tuple[int, str, str, int, int]:
        row = self._row(db, ref)
        return (int(row["amount"]), str(row["currency"]), str(row["status"]),
                int(row["amount_captured"]), int(row["amount_refunded"]))  # fmt: skip

    def _capture(self, db: sqlite3.Connection, ref: str, amount: Money, key: str) -> Json:
        held, currency, status, _, _ = self._load(db, ref)
        minor = to_minor(amount)
        if status != "requires_capture":
            raise _state(ref, status, "captured")
        if minor > held or minor <= 0:
            raise PaymentStateError(
                f"Amount to capture must be between 1 and {held}.", code="amount_too_large"
            )
        self._set(db, ref, status="succeeded", amount_captured=minor)
        self._record(db, "capture", ref, minor, currency, key)
        self._event(db, "payment_intent.succeeded", ref)
        return {"id": ref, "amount": minor, "currency": currency}

    def _cancel(self, db: sqlite3.Connection, ref: str, key: str) -> Json:
        held, currency, status, _, _ = self._load(db, ref)
        if status not in ("requires_capture", *_UNSETTLED):
            raise _state(ref, status, "canceled")
        self._set(db, ref, status="canceled")
        if status == "requires_capture":
            self._record(db, "cancel", ref, held, currency, key)
        self._event(db, "payment_intent.canceled", ref)
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
        self._set(db, ref, amount_refunded=refunded + minor)
        self._record(db, "refund", ref, minor, currency, key)
        charge = {
            "id": "ch_sbx_" + ref.removeprefix(OWN_PREFIX), "object": "charge",
            "payment_intent": ref, "amount": captured, "amount_captured": captured,
            "amount_refunded": refunded + minor, "currency": currency.lower(),
            "refunded": refunded + minor >= captured,
        }  # fmt: skip
        self._event(db, "charge.refunded", ref, charge)
        return {"id": ref, "amount": minor, "currency": currency, "refund_id": _refund_id()}

    def _external_refund(self, db: sqlite3.Connection, ref: str, amount: Money, key: str) -> Json:
        """A refund of a payment taken elsewhere (the web store); recorded like any refund."""
        minor = to_minor(amount)
        if minor <= 0:
            raise PaymentStateError("Refund amount must be positive.", code="amount_too_small")
        self._record(db, "refund", ref, minor, amount.currency, key)
        return {"id": ref, "amount": minor, "currency": amount.currency, "refund_id": _refund_id()}

    @staticmethod
    def _record(
        db: sqlite3.Connection, op: str, intent: str, minor: int, currency: str, key: str
    ) -> None:
        db.execute(
            "INSERT INTO operations (op, intent, amount, currency, key, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (op, intent, minor, currency, key, time.time()),
        )


def intent_of(data: Json) -> Intent:
    """A Stripe-shaped PaymentIntent (dict) → the port's Intent."""
    currency = str(data.get("currency") or "usd").upper()
    error = data.get("last_payment_error") or {}
    meta = data.get("metadata") or {}
    return Intent(
        ref=str(data["id"]), status=str(data["status"]),
        amount=from_minor(int(data.get("amount") or 0), currency),
        client_secret=data.get("client_secret"),
        capturable=from_minor(int(data.get("amount_capturable") or 0), currency),
        customer=data.get("customer"), payment_method=data.get("payment_method"),
        error_code=error.get("decline_code") or error.get("code"), reason=error.get("message"),
        metadata={str(k): str(v) for k, v in meta.items()},
    )  # fmt: skip


def setup_of(data: Json) -> SetupIntent:
    """A Stripe-shaped SetupIntent (dict) → the port's SetupIntent."""
    error = data.get("last_setup_error") or {}
    meta = data.get("metadata") or {}
    return SetupIntent(
        ref=str(data["id"]), status=str(data["status"]), client_secret=data.get("client_secret"),
        customer=data.get("customer"), payment_method=data.get("payment_method"),
        error_code=error.get("decline_code") or error.get("code"), reason=error.get("message"),
        metadata={str(k): str(v) for k, v in meta.items()},
    )  # fmt: skip


def _check_secret(data: Json, client_secret: str) -> None:
    if not hmac.compare_digest(str(data["client_secret"]).encode(), client_secret.encode()):
        raise PaymentStateError(
            "The client_secret provided does not match this PaymentIntent.",
            code="payment_intent_invalid_parameter",
        )


def _refund_id() -> str:
    return "re_sbx_" + secrets.token_hex(12)


def _state(ref: str, status: str, verb: str) -> PaymentError:
    return PaymentStateError(
        f"This PaymentIntent ({ref}) could not be {verb} because it has a status of {status}.",
        code="payment_intent_unexpected_state",
    )
