"""Server-rendered pages: customer tracking, staff console, finance. They call the same JSON API
from the browser (no build step), so every rule and permission is the API's."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from freight.agreement.service import current_policy
from freight.repairs.rules import RR_NUMBER_RE

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "home.html", {"title": "RR Freight"})


@router.get("/track", response_class=HTMLResponse)
def track_lookup(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "track_lookup.html", {"title": "Track your repair"})


@router.get("/track/{rr_number}", response_class=HTMLResponse)
def track_rr(request: Request, rr_number: str) -> HTMLResponse:
    rr = rr_number.strip().upper()
    status = 200 if RR_NUMBER_RE.match(rr) else 404
    return templates.TemplateResponse(
        request, "track_rr.html", {"title": f"Repair {rr}", "rr_number": rr}, status_code=status
    )


@router.get("/staff", response_class=HTMLResponse)
def staff_console(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "staff.html", {"title": "Repair desk"})


@router.get("/finance", response_class=HTMLResponse)
def finance_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "finance.html", {"title": "Freight reconciliation"})


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request) -> HTMLResponse:
    """The Return Policy with its "I agree" control (P-AGREE), which opens the request form."""
    doc = current_policy(request.app.state.settings)
    return templates.TemplateResponse(
        request, "policy.html", {"title": "Return Policy", "doc": doc}
    )


@router.get("/request", response_class=HTMLResponse)
def request_form(request: Request, policy_version: str = "", agree: str = "") -> HTMLResponse:
    """The request form, only after "I agree" on the current policy; else the way to it."""
    doc = current_policy(request.app.state.settings)
    agreed = agree == "1" and policy_version == doc.version
    return templates.TemplateResponse(
        request, "request.html",
        {"title": "Repair/Return request", "doc": doc, "agreed": agreed,
         "stale": agree == "1" and not agreed},
    )  # fmt: skip


@router.get("/request/{submission_id}", response_class=HTMLResponse)
def request_status(request: Request, submission_id: str) -> HTMLResponse:
    ok = (
        submission_id.startswith("sub_") and submission_id[4:].isalnum() and len(submission_id) < 41
    )
    return templates.TemplateResponse(
        request, "request_status.html",
        {"title": "Your request", "submission_id": submission_id if ok else ""},
        status_code=200 if ok else 404,
    )  # fmt: skip


@router.get("/staff/review", response_class=HTMLResponse)
def staff_review(request: Request) -> HTMLResponse:
    """The review queue for online requests (its own page: the console's auth is changing)."""
    return templates.TemplateResponse(request, "staff_review.html", {"title": "Online requests"})
