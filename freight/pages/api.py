"""Server-rendered pages: customer tracking, staff console, finance, sign-in. They call the same
JSON API from the browser (no build step), so every rule and permission is the API's. The staff
and finance pages need a signed-in session (cookie); without one they send the browser to /login."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from freight.agreement.service import current_policy
from freight.auth.rules import SESSION_COOKIE
from freight.auth.service import Principal, session_principal
from freight.carrier_registry import CARRIERS, CUSTOMER_CHOICES
from freight.deps import NowDep, SessionDep, SettingsDep
from freight.repairs.rules import RR_NUMBER_RE

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


def signed_in(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Principal | None:
    """The person signed in by cookie, if any (pages never take tokens)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    return session_principal(session, session_id=session_id, now=now, settings=settings)


UserDep = Annotated[Principal | None, Depends(signed_in)]


def _page(
    request: Request, user: Principal | None, template: str, title: str, *roles: str
) -> Response:
    """The page for a signed-in user with one of the roles; else /login, or a wrong-role notice."""
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    context = {"title": title, "user": user}
    if user.role not in (*roles, "admin"):
        context |= {"needed": " or ".join(roles)}
        return templates.TemplateResponse(request, "wrong_role.html", context, status_code=403)
    return templates.TemplateResponse(request, template, context)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: UserDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "home.html", {"title": "RR Freight", "user": user})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: UserDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html", {"title": "Sign in", "user": user})


@router.get("/set-password", response_class=HTMLResponse)
def set_password_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "set_password.html", {"title": "Set your password"})


@router.get("/track", response_class=HTMLResponse)
def track_lookup(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "track_lookup.html", {"title": "Track your repair"})


@router.get("/track/{rr_number}", response_class=HTMLResponse)
def track_rr(request: Request, rr_number: str) -> HTMLResponse:
    rr = rr_number.strip().upper()
    status = 200 if RR_NUMBER_RE.match(rr) else 404
    context = {"title": f"Repair {rr}", "rr_number": rr, "carriers": _CARRIER_CHOICES}
    return templates.TemplateResponse(request, "track_rr.html", context, status_code=status)


# The carrier select on the customer page, from the one carrier registry.
_CARRIER_CHOICES = [(token, CARRIERS[token].name) for token in CUSTOMER_CHOICES]


@router.get("/staff", response_class=HTMLResponse)
def staff_console(request: Request, user: UserDep) -> Response:
    return _page(request, user, "staff.html", "Repair desk", "staff")


@router.get("/finance", response_class=HTMLResponse)
def finance_page(request: Request, user: UserDep) -> Response:
    return _page(request, user, "finance.html", "Freight reconciliation", "finance")


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
def staff_review(request: Request, user: UserDep) -> Response:
    """The review queue for online requests (signed in as staff, like the console)."""
    return _page(request, user, "staff_review.html", "Online requests", "staff")
