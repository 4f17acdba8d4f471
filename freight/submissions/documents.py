"""Proof-of-purchase documents of an online request (P-POP): checked by content, kept once.
Never commits."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from freight.errors import AppError, ConflictError, FieldError, NotFoundError, ValidationFailedError
from freight.settings import Settings
from freight.submissions import repository as repo
from freight.submissions.models import SubmissionDocument
from freight.submissions.rules import MAX_DOCUMENTS, sniff_document
from freight.submissions.service import Caller, check_access, get_submission


class DocumentTooLargeError(AppError):
    def __init__(self, limit: int) -> None:
        message = f"is larger than {limit // 1_000_000} MB"
        super().__init__(
            f"file: {message}",
            413,
            "Payload too large",
            "https://rr-freight.example/problems/too-large",
            [FieldError("file", message)],
        )


def add_document(
    session: Session,
    *,
    caller: Caller,
    submission_id: str,
    filename: str,
    data: bytes,
    now: datetime,
    settings: Settings,
) -> tuple[SubmissionDocument, bool]:
    """Keep a proof-of-purchase file (PDF/JPEG/PNG by content, ≤ the limit); the same file twice
    is kept once. Returns (document, created)."""
    check_access(caller, submission_id)
    sub = get_submission(session, submission_id, lock=True)
    if len(data) > settings.max_document_bytes:
        raise DocumentTooLargeError(settings.max_document_bytes)
    kind = sniff_document(data[:16])
    if kind is None or not data:
        raise ValidationFailedError(
            "file: is not a PDF, JPEG or PNG file",
            [
                FieldError(
                    "file", "is not a PDF, JPEG or PNG file (judged by its content, not its name)"
                )
            ],
        )
    if sub.status not in ("submitted", "info_requested"):
        raise ConflictError(
            f"Request {sub.id} is {sub.status}; documents can be added while it is under review.",
            current=sub.status,
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = repo.document_by_hash(session, sub.id, digest)
    if existing is not None:
        return existing, False
    if repo.document_count(session, sub.id) >= MAX_DOCUMENTS:
        raise ConflictError(
            f"Request {sub.id} already has {MAX_DOCUMENTS} documents; that is the most it keeps.",
            field="file",
        )
    name = "".join(c for c in (filename or f"document.{kind[1]}") if c.isprintable())[:200]
    doc = SubmissionDocument(
        submission_id=sub.id,
        filename=name or f"document.{kind[1]}",
        media_type=kind[0],
        size=len(data),
        sha256=digest,
        data=data,
        uploaded_by=caller.name,
        uploaded_at=now,
    )
    repo.add(session, doc)
    sub.updated_at = now
    session.flush()
    return doc, True


def read_document(
    session: Session, *, caller: Caller, submission_id: str, document_id: str
) -> SubmissionDocument:
    check_access(caller, submission_id)
    doc = repo.document(session, submission_id, document_id)
    if doc is None:
        raise NotFoundError(f"Document {document_id} does not exist.", document_id=document_id)
    return doc
