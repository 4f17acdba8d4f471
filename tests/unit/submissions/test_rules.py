"""P-REVIEW lifecycle, P-POP flags, documents by content, the request token. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from freight.rules import TransitionError
from freight.submissions.rules import (
    MOVES,
    actions_for,
    check_move,
    credit_window_flag,
    duplicate_serials,
    issue_token,
    no_document_flag,
    read_token,
    reseller_flag,
    sniff_document,
)

NOW = datetime(2026, 11, 2, 17, tzinfo=UTC)
ALL = ("submitted", "info_requested", "approved", "declined")
ALLOWED = {
    ("approve", "submitted"): "approved",
    ("approve", "info_requested"): "approved",
    ("request_info", "submitted"): "info_requested",
    ("decline", "submitted"): "declined",
    ("decline", "info_requested"): "declined",
    ("reply", "info_requested"): "submitted",
}


@pytest.mark.parametrize("action", sorted(MOVES))
@pytest.mark.parametrize("status", ALL)
def test_every_move_from_every_status(action: str, status: str) -> None:
    expected = ALLOWED.get((action, status))
    if expected is None:
        with pytest.raises(TransitionError) as err:
            check_move(action, status)
        assert err.value.rule == "P-REVIEW"
    else:
        assert check_move(action, status) == expected


def test_actions_offered_match_the_moves() -> None:
    assert actions_for("submitted") == ["approve", "decline", "request_info"]
    assert actions_for("info_requested") == ["approve", "decline", "reply"]
    assert actions_for("approved") == actions_for("declined") == []


def test_duplicate_serials_are_found_case_blind_at_the_later_index() -> None:
    assert duplicate_serials(["A1", "B2", "a1 ", "B2", "C3"]) == [(2, "A1"), (3, "B2")]
    assert duplicate_serials(["A1"]) == []


@pytest.mark.parametrize(
    ("reseller", "authorized", "flagged"),
    [
        ("Acme Phones", [], False),
        (None, [], False),
        ("acme  phones", ["Acme Phones"], False),
        ("Grey Market", ["Acme Phones"], True),
        (None, ["Acme Phones"], True),
    ],
)
def test_reseller_flag(reseller: str | None, authorized: list[str], flagged: bool) -> None:
    flag = reseller_flag(reseller, authorized)
    assert (flag is not None) is flagged
    if flag:
        assert flag.rule == "P-POP"
        assert flag.blocks_approval


def test_credit_window_and_document_flags() -> None:
    assert credit_window_flag(NOW - timedelta(days=30), now=NOW, days=30) is None
    late = credit_window_flag(NOW - timedelta(days=31), now=NOW, days=30)
    assert late is not None
    assert not late.blocks_approval
    assert credit_window_flag(None, now=NOW, days=30) is None
    assert no_document_flag(0) is not None
    assert no_document_flag(1) is None


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"GIF89a", None),
        (b"MZ\x90\x00", None),
        (b"<html>%PDF-", None),
        (b"", None),
    ],
)
def test_documents_are_judged_by_their_first_bytes(head: bytes, kind: str | None) -> None:
    found = sniff_document(head)
    assert (found[0] if found else None) == kind


def test_the_request_token_reads_back_and_cannot_be_bent() -> None:
    token = issue_token("sub_abc", secret="s3cret", now=NOW, days=90)
    claims = read_token(token, secret="s3cret", now=NOW + timedelta(days=89))
    assert claims is not None
    assert claims.submission_id == "sub_abc"
    assert read_token(token, secret="s3cret", now=NOW + timedelta(days=90)) is None
    assert read_token(token, secret="other", now=NOW) is None
    assert read_token(token.replace("sub.", "cust."), secret="s3cret", now=NOW) is None
    assert read_token("sub.garbage", secret="s3cret", now=NOW) is None
    other = issue_token("sub_xyz", secret="s3cret", now=NOW, days=90)
    spliced = token.split(".")[0] + "." + other.split(".")[1] + "." + token.split(".")[2]
    assert read_token(spliced, secret="s3cret", now=NOW) is None
