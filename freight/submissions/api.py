"""Online-request routes (SPEC §8): customers submit and follow with a request token; staff
review. Thin: dependencies, one service call, a response model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile

from freight.deps import NowDep, SessionDep, SettingsDep, StaffDep, get_principal
from freight.errors import ForbiddenError, UnauthorizedError
from freight.problems import problem_responses
from freight.settings import Settings
from freight.submissions import documents, review, service
from freight.submissions.rules import EXTENSIONS, TOKEN_PREFIX, read_token
from freight.submissions.schemas import (
    ApproveIn,
    DeclineIn,
    DocumentOut,
    MessageIn,
    Status,
    SubmissionCreatedOut,
    SubmissionIn,
    SubmissionOut,
    SubmissionPage,
)
from freight.submissions.service import Caller
from freight.submissions.views import document_out, submission_out
from freight.tracking.lookup import check_rate, client_address

router = APIRouter(prefix="/api/v1/rr-submissions", tags=["online requests"])
SubmissionId = Annotated[str, Path(min_length=5, max_length=40, pattern=r"^sub_[0-9a-f]+$")]


def get_caller(request: Request, session: SessionDep, settings: SettingsDep, now: NowDep) -> Caller:
    """The request's customer (its `sub.` token) or staff; 401 / 403 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token.startswith(TOKEN_PREFIX):
        claims = read_token(token, secret=settings.secret_key, now=now)
        if claims is None:
            raise UnauthorizedError("The request token is invalid or has expired.")
        return Caller("customer", f"customer:{claims.submission_id}", claims.submission_id)
    principal = get_principal(request, session, settings, now)
    if not principal.staff_side or principal.role not in ("staff", "admin"):
        raise ForbiddenError("This call needs the request's own token or the staff role.")
    return Caller("staff", principal.name)


CallerDep = Annotated[Caller, Depends(get_caller)]


def _out(
    session: SessionDep, sub: object, caller: Caller, settings: Settings, now: object
) -> SubmissionOut:
    return submission_out(session, sub, staff=caller.kind == "staff", settings=settings, now=now)  # type: ignore[arg-type]


def submission_rate(request: Request, settings: SettingsDep) -> str:
    """Count every attempt, well-formed or not: this runs before the body is validated."""
    client = client_address(request)
    check_rate(settings, holder=request.app.state, client=client, scope="submission")
    return client


@router.post(
    "",
    status_code=201,
    response_model=SubmissionCreatedOut,
    responses=problem_responses(400, 409, 413, 422, 429),
)
def submit(
    client: Annotated[str, Depends(submission_rate)],
    body: SubmissionIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SubmissionCreatedOut:
    """Anyone: submit a repair or credit-return request for 1–20 units, accepting the policy
    (P-AGREE). The answer carries a token scoped to this request."""
    sub, token, expires = service.submit(
        session,
        data=body,
        client_address=client,
        user_agent=request.headers.get("user-agent", ""),
        now=now,
        settings=settings,
    )
    out = submission_out(session, sub, staff=False, settings=settings, now=now)
    return SubmissionCreatedOut(
        **out.model_dump(), token=token, token_expires_at=expires, status_page=f"/request/{sub.id}"
    )


@router.get("", response_model=SubmissionPage, responses=problem_responses(401, 403, 422))
def review_queue(
    _: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=review.CURSOR_PATTERN)] = None,
) -> SubmissionPage:
    """Staff: the review queue, oldest first (default: submitted and info_requested)."""
    items, nxt = review.queue(session, status=status, limit=limit, cursor=cursor)
    return SubmissionPage(
        items=[submission_out(session, s, staff=True, settings=settings, now=now) for s in items],
        next_cursor=nxt,
    )


@router.get(
    "/{submission_id}",
    response_model=SubmissionOut,
    responses=problem_responses(401, 403, 404, 422),
)
def get_submission(
    submission_id: SubmissionId,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SubmissionOut:
    """The request's status, messages, documents and, once approved, each unit's RR number."""
    service.check_access(caller, submission_id)
    return _out(session, service.get_submission(session, submission_id), caller, settings, now)


@router.post(
    "/{submission_id}/documents",
    status_code=201,
    response_model=DocumentOut,
    responses={
        200: {"description": "The same file was already attached", "model": DocumentOut},
        **problem_responses(400, 401, 403, 404, 409, 413, 422),
    },
)
def upload_document(
    submission_id: SubmissionId,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    response: Response,
    file: Annotated[UploadFile, File()],
) -> DocumentOut:
    """Proof of purchase: one PDF, JPEG or PNG of at most 10 MB (checked by its content)."""
    data = file.file.read(settings.max_document_bytes + 1)
    doc, created = documents.add_document(
        session,
        caller=caller,
        submission_id=submission_id,
        filename=file.filename or "",
        data=data,
        now=now,
        settings=settings,
    )
    if not created:
        response.status_code = 200
    return document_out(doc)


@router.get(
    "/{submission_id}/documents/{document_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
        **problem_responses(401, 403, 404, 422),
    },
)
def download_document(
    submission_id: SubmissionId,
    document_id: Annotated[str, Path(min_length=5, max_length=40, pattern=r"^doc_[0-9a-f]+$")],
    caller: CallerDep,
    session: SessionDep,
) -> Response:
    """The stored document, as uploaded."""
    doc = documents.read_document(
        session, caller=caller, submission_id=submission_id, document_id=document_id
    )
    return Response(
        doc.data,
        media_type=doc.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{doc.id}.{EXTENSIONS[doc.media_type]}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/{submission_id}/reply",
    response_model=SubmissionOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def customer_reply(
    submission_id: SubmissionId,
    body: MessageIn,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SubmissionOut:
    """The customer answers staff's question; the request returns to the queue (→ submitted)."""
    if caller.kind != "customer":
        raise ForbiddenError("Only the request's customer (its token) can reply.")
    sub = service.reply(
        session,
        caller=caller,
        submission_id=submission_id,
        message=body.message,
        now=now,
        settings=settings,
    )
    return _out(session, sub, caller, settings, now)


_STAFF_MOVE = problem_responses(400, 401, 403, 404, 409, 413, 422)


@router.post("/{submission_id}/approve", response_model=SubmissionOut, responses=_STAFF_MOVE)
def approve(
    submission_id: SubmissionId,
    body: ApproveIn,
    who: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SubmissionOut:
    """Staff: issue one RR per serial (30-day window from now) and email the numbers."""
    sub, _ = review.approve(
        session,
        submission_id=submission_id,
        note=body.note,
        proof_confirmed=body.proof_confirmed,
        actor=who.name,
        now=now,
        settings=settings,
    )
    return submission_out(session, sub, staff=True, settings=settings, now=now)


@router.post("/{submission_id}/request-info", response_model=SubmissionOut, responses=_STAFF_MOVE)
def request_info(
    submission_id: SubmissionId,
    body: MessageIn,
    who: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SubmissionOut:
    """Staff: ask the customer for more information (emailed; their reply returns it)."""
    sub = review.request_info(
        session,
        submission_id=submission_id,
        message=body.message,
        actor=who.name,
        now=now,
        settings=settings,
    )
    return submission_out(session, sub, staff=True, settings=settings, now=now)


@router.post("/{submission_id}/decline", response_model=SubmissionOut, responses=_STAFF_MOVE)
def decline(
    submission_id: SubmissionId,
    body: DeclineIn,
    who: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SubmissionOut:
    """Staff: decline with a reason (emailed)."""
    sub = review.decline(
        session,
        submission_id=submission_id,
        reason=body.reason,
        actor=who.name,
        now=now,
        settings=settings,
    )
    return submission_out(session, sub, staff=True, settings=settings, now=now)
