"""Every page under its Content-Security-Policy in Chromium, and /docs and /redoc offline.

The `page` fixture fails a test on any CSP violation the page sees and refuses (and fails on)
any request to a host other than the server: these pages must work with no inline script and
no CDN. Each page is also checked to still do its job (text it renders from its own script)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, Watched
from tests.e2e.test_pages import PASSWORD, _open_rr, _sign_in, _staff_token

PAGE_CSP = (
    "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)


@pytest.mark.parametrize(
    "path", ["/", "/login", "/track", "/track/RR-ABCD2345", "/policy", "/request", "/set-password"]
)
def test_pages_send_the_security_headers(server: Server, path: str) -> None:
    resp = httpx.get(server.url + path)
    assert resp.headers["content-type"].startswith("text/html")
    assert resp.headers["content-security-policy"] == PAGE_CSP
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in resp.text
    assert " onclick=" not in resp.text
    assert " style=" not in resp.text
    assert "<style" not in resp.text


def test_api_answers_are_never_run_as_a_page(server: Server) -> None:
    for resp in (
        httpx.get(server.url + "/healthz"),
        httpx.get(server.url + "/api/v1/repair-requests"),
    ):
        assert (
            resp.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        )
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "same-origin"
    assert httpx.get(server.url + "/static/app.js").headers["x-content-type-options"] == "nosniff"


def test_the_customer_pages_work_under_the_policy(
    server: Server, page: Any, watched: Watched
) -> None:
    rr = _open_rr(server, _staff_token(server), "E2E-CSP-1")
    page.goto(server.url + "/")
    page.click("text=Track a repair")
    page.wait_for_url("**/track")
    page.fill("#rr_number", rr["rr_number"])
    page.fill("#postal_code", "95014")
    page.click("button[type=submit]")  # the lookup script is a static file now
    page.wait_for_url(f"**/track/{rr['rr_number']}")
    page.wait_for_selector("#summary:not([hidden])")
    assert page.text_content("#status") == "Open"
    page.goto(server.url + "/policy")
    page.check("#agree-box")
    page.click("#agree")
    page.wait_for_selector("#request-form")
    page.goto(server.url + "/set-password")
    page.wait_for_load_state("networkidle")
    assert watched.csp_violations == []


def test_the_staff_pages_work_under_the_policy(server: Server, page: Any, watched: Watched) -> None:
    server.user("cara@example.com", "Cara Admin", "admin", PASSWORD)
    rr = _open_rr(server, _staff_token(server), "E2E-CSP-2")
    page.goto(server.url + "/login")
    _sign_in(page, "cara@example.com")
    page.wait_for_selector("#who-name")
    for path, ready in (
        ("/staff", f"text={rr['rr_number']}"),
        ("/staff/review", "#queue-rows"),
        ("/finance", "#chart-summary:not(:empty)"),
    ):
        page.goto(server.url + path)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
    assert watched.csp_violations == []


def test_swagger_ui_renders_the_operations_offline(
    server: Server, page: Any, watched: Watched
) -> None:
    resp = httpx.get(server.url + "/docs")
    assert resp.headers["content-security-policy"] == PAGE_CSP + "; img-src 'self' data:"
    assert "cdn" not in resp.text.lower()
    assert "<script>" not in resp.text
    page.goto(server.url + "/docs")
    lookup = page.locator(".opblock-summary-path", has_text="/api/v1/track/lookup").first
    lookup.wait_for(state="visible", timeout=30_000)
    page.locator(".opblock-summary", has_text="/api/v1/track/lookup").first.click()
    page.wait_for_selector("text=Trade an RR number")  # the operation's description opens
    assert watched.foreign_requests == []
    assert watched.csp_violations == []


def test_redoc_renders_the_operations_offline(server: Server, page: Any, watched: Watched) -> None:
    page.goto(server.url + "/redoc")
    page.wait_for_selector("text=Trade an RR number and its email or postal code", timeout=30_000)
    assert watched.foreign_requests == []
    assert watched.csp_violations == []
