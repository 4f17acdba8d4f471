"""Server-rendered pages: customer tracking, staff console, finance. They call the same JSON API
from the browser (no build step), so every rule and permission is the API's."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

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
