"""Online repair/return requests (P-REVIEW, P-POP) and their request-scoped token. Pure.

Lifecycle of a request (`MOVES`): submitted → approved (one RR per serial) | info_requested
(the customer is asked for more) | declined (with a reason); info_requested → submitted (the
customer answers) | approved | declined. Approved and declined are final. Every move emails the
customer once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from freight.rules import Decision, TransitionError

RULE = "P-REVIEW"
POP_RULE = "P-POP"
MAX_UNITS = 20
MAX_DOCUMENTS = 10  # per request: enough for invoices and packing slips, not a file store


class SubmissionStatus(StrEnum):
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    DECLINED = "declined"


_S = SubmissionStatus
OPEN = frozenset({_S.SUBMITTED, _S.INFO_REQUESTED})
# action → (statuses it may start from, status it leads to)
MOVES: Mapping[str, tuple[frozenset[SubmissionStatus], SubmissionStatus]] = MappingProxyType(
    {
        "approve": (OPEN, _S.APPROVED),
        "request_info": (frozenset({_S.SUBMITTED}), _S.INFO_REQUESTED),
        "decline": (OPEN, _S.DECLINED),
        "reply": (frozenset({_S.INFO_REQUESTED}), _S.SUBMITTED),
    }
)


def check_move(action: str, current: str) -> SubmissionStatus:
    """The status `action` leads to from `current`, or TransitionError (a 409)."""
    sources, target = MOVES[action]
    if SubmissionStatus(current) not in sources:
        allowed = sorted(a for a, (src, _) in MOVES.items() if SubmissionStatus(current) in src)
        raise TransitionError("request", current, target.value, allowed, rule=RULE)
    return target


def actions_for(status: str) -> list[str]:
    """The moves a request in this status allows (the pages show only these)."""
    return sorted(a for a, (src, _) in MOVES.items() if SubmissionStatus(status) in src)


def duplicate_serials(serials: Sequence[str]) -> list[tuple[int, str]]:
    """(index, serial) for every unit repeating a serial already given earlier in the request."""
    counts: Counter[str] = Counter()
    out: list[tuple[int, str]] = []
    for i, serial in enumerate(serials):
        key = serial.strip().upper()
        counts[key] += 1
        if counts[key] > 1:
            out.append((i, key))
    return out


# Review flags: what staff must look at before approving ------------------------------------


@dataclass(frozen=True)
class Flag:
    code: str
    rule: str
    message: str
    blocks_approval: bool = False  # staff must confirm it explicitly to approve


def _norm(name: str) -> str:
    return " ".join(name.lower().split())


def reseller_flag(reseller: str | None, authorized: Sequence[str]) -> Flag | None:
    """P-POP: with an authorized-reseller list, a reseller not on it must be confirmed by staff."""
    if not authorized:
        return None
    known = {_norm(a) for a in authorized}
    if reseller and _norm(reseller) in known:
        return None
    who = f"'{reseller}'" if reseller else "No reseller was named; the proof"
    text = (
        f"{who} is not on the list of authorized resellers; confirm the proof of purchase "
        "(invoice or packing slip to the first customer) before approving."
        if reseller
        else f"{who} of purchase must come from an authorized reseller; confirm it first."
    )
    return Flag("reseller_not_authorized", POP_RULE, text, blocks_approval=True)


def credit_window_flag(
    customer_received_at: datetime | None, *, now: datetime, days: int
) -> Flag | None:
    """P-CREDIT: a credit return whose 30 days after receipt have already run out."""
    if customer_received_at is None or now <= customer_received_at + timedelta(days=days):
        return None
    deadline = (customer_received_at + timedelta(days=days)).date().isoformat()
    return Flag(
        "credit_window_passed",
        "P-CREDIT",
        f"The {days}-day window for a return for credit ended on {deadline}; the unit "
        "would be returned to the sender without a refund.",
    )


def no_document_flag(documents: int) -> Flag | None:
    """P-POP: proof of purchase may be asked for before approval."""
    if documents:
        return None
    return Flag("no_document", POP_RULE, "No proof-of-purchase document was uploaded.")


def approval_decision(count: int) -> Decision:
    return Decision(
        RULE, f"Approved: {count} Repair Request(s) issued, one per serial number.", "approved"
    )


# Proof-of-purchase documents ----------------------------------------------------------------

_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


EXTENSIONS = {media_type: ext for _, media_type, ext in _SIGNATURES}


def sniff_document(head: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a PDF, JPEG or PNG judged by its first bytes, else None."""
    for signature, media_type, ext in _SIGNATURES:
        if head.startswith(signature):
            return media_type, ext
    return None


# The request-scoped token (like the lookup token, but for one request) ----------------------

TOKEN_PREFIX = "sub."  # noqa: S105 - the public prefix of tokens, not a token


@dataclass(frozen=True)
class SubmissionClaims:
    submission_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> bytes:
    return hmac.new(secret.encode(), b"submission:" + payload.encode(), hashlib.sha256).digest()


def issue_token(submission_id: str, *, secret: str, now: datetime, days: int) -> str:
    """A token letting its holder read, answer and add documents to one request until expiry."""
    body = json.dumps({"sub": submission_id, "exp": int((now + timedelta(days=days)).timestamp())})
    payload = _b64(body.encode())
    return f"{TOKEN_PREFIX}{payload}.{_b64(_sign(secret, payload))}"


def read_token(token: str, *, secret: str, now: datetime) -> SubmissionClaims | None:
    """The claims of a valid, unexpired request token, else None."""
    try:
        kind, payload, sig = token.split(".")
        if kind + "." != TOKEN_PREFIX or not hmac.compare_digest(
            _sign(secret, payload), _unb64(sig)
        ):
            return None
        data = json.loads(_unb64(payload))
        expires = datetime.fromtimestamp(int(data["exp"]), tz=now.tzinfo)
        submission_id = str(data["sub"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires <= now:
        return None
    return SubmissionClaims(submission_id, expires)
